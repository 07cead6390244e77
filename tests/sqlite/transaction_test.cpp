// sqlite::Transaction: all or nothing, and inside another one a savepoint that can undo itself
// without undoing the outer work.

#include <gtest/gtest.h>

#include "chatkeep/testing/temp_dir.hpp"
#include "sqlite/database.hpp"

namespace chatkeep {
namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override { db_.exec("CREATE TABLE t (v INTEGER)"); }
  void insert(std::int64_t v) { db_.query("INSERT INTO t (v) VALUES (?1)").bind(1, v).run(); }
  std::int64_t sum() { return db_.integer("SELECT COALESCE(SUM(v), 0) FROM t"); }

  testing::TempDir dir_;
  sqlite::Database db_{dir_.path() / "t.db", sqlite::Database::Access::create};
};

TEST_F(TransactionTest, UncommittedWorkIsRolledBack) {
  {
    sqlite::Transaction transaction(db_);
    insert(1);
  }
  EXPECT_EQ(sum(), 0);
  {
    sqlite::Transaction transaction(db_);
    insert(2);
    transaction.commit();
  }
  EXPECT_EQ(sum(), 2);
}

TEST_F(TransactionTest, ANestedOneUndoesOnlyItself) {
  {
    sqlite::Transaction outer(db_);
    insert(1);
    {
      sqlite::Transaction inner(db_);
      insert(10);
    }  // not committed: its 10 goes, the outer 1 stays
    {
      sqlite::Transaction inner(db_);
      insert(100);
      inner.commit();
    }
    EXPECT_EQ(sum(), 101);
    outer.commit();
  }
  EXPECT_EQ(sum(), 101);
}

TEST_F(TransactionTest, ACommittedNestedOneGoesWithItsOuterRollback) {
  {
    sqlite::Transaction outer(db_);
    insert(1);
    sqlite::Transaction inner(db_);
    insert(10);
    inner.commit();
  }
  EXPECT_EQ(sum(), 0);
}

}  // namespace
}  // namespace chatkeep
