// Tokens: known answers from an independent HMAC implementation, and every rejection code.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>

#include "chatkeep/error.hpp"
#include "chatkeep/token.hpp"

namespace chatkeep {
namespace {

const Timestamp kNow = Timestamp::from_unix_micros(1'790'000'000'000'000);  // before 1800000000

std::string b64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=')
    out.pop_back();
  for (char& c : out)
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

// Signs any header and payload text, independently of the code under test.
std::string signed_token(std::string_view secret, std::string_view header,
                         std::string_view payload) {
  std::string token = b64url(header) + "." + b64url(payload);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest, &size);
  return token + "." + b64url(std::string_view(reinterpret_cast<char*>(digest), size));
}

std::string jwt(std::string_view payload, std::string_view secret = "s3cr3t-key") {
  return signed_token(secret, R"({"alg":"HS256","typ":"JWT"})", payload);
}

ErrorCode rejection(std::string_view token, bool allow_dev = false) {
  try {
    (void)verify_token(token, "s3cr3t-key", kNow, allow_dev);
  } catch (const ChatError& e) {
    EXPECT_EQ(e.http_status(), 401);
    return e.code();
  }
  ADD_FAILURE() << "accepted " << token;
  return ErrorCode::internal;
}

// Defect: exp and nbf given as huge decimals were cast to integers unsafely (undefined
// behaviour, which UBSan reports). They are clamped: far future, far past.
TEST(Token, HugeDecimalTimesAreClampedNotCastBlindly) {
  EXPECT_NO_THROW(verify_token(jwt(R"({"user_id":"a","exp":1e300})"), "s3cr3t-key", kNow, false));
  EXPECT_NO_THROW(verify_token(jwt(R"({"user_id":"a","exp":1e19})"), "s3cr3t-key", kNow, false));
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","exp":-1e300})")), ErrorCode::token_expired);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","nbf":1e300})")), ErrorCode::token_not_valid_yet);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","iat":1.7e308})")),
            ErrorCode::token_used_before_issued_at);
  EXPECT_NO_THROW(verify_token(jwt(R"({"user_id":"a","nbf":-1e300})"), "s3cr3t-key", kNow, false));
}

// Found by fuzzing: a part of nothing but padding made the decoded size wrap around, and the
// verifier threw std::length_error instead of refusing the token.
TEST(Token, PaddingOutOfPlaceIsNotBase64) {
  for (const char* token : {"tzp=O===================..", "a.=====.b", "====.e30.x",
                            "eyJhbGciOiJIUzI1NiJ9=.e30=.x", "e===.e30.x"}) {
    EXPECT_NE(rejection(token), ErrorCode::internal) << token;
  }
}

TEST(Token, MadeTokensMatchKnownAnswers) {
  // Computed with Python's hmac module.
  EXPECT_EQ(make_user_token("secret", "amin"),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiYW1pbiJ9."
            "LPtcw1iQKZeQ9C4hQoIOnVFEegHCsPN8LrGcAEi-LWY");
  EXPECT_EQ(
      make_user_token("s3cr3t-key", "alice", Timestamp::from_unix_micros(1'800'000'000'000'000)),
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiYWxpY2UiLCJleHAiOjE4MDAwMDAwMDB9."
      "U8ChDIo7OLnMGbQnEX5ow_EHUJM8GqPNPt5DEE_UwtA");
  EXPECT_EQ(make_server_token("s3cr3t-key"),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzZXJ2ZXIiOnRydWV9."
            "zn_BDzdPt0-BzC-LE3EnDhYYY52CD5xsRijRRgwnsmU");
  // Stream's own example of a development token (protocol reference, section 1.3).
  EXPECT_EQ(make_dev_token("john"),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiam9obiJ9.devtoken");
}

TEST(Token, VerifiedClaims) {
  auto alice = verify_token(
      make_user_token("s3cr3t-key", "alice", Timestamp::from_unix_micros(1'800'000'000'000'000)),
      "s3cr3t-key", kNow, false);
  EXPECT_EQ(alice.user_id, "alice");
  EXPECT_EQ(alice.expires, 1'800'000'000);
  EXPECT_FALSE(alice.server);
  EXPECT_FALSE(alice.development);
  auto server = verify_token(make_server_token("s3cr3t-key"), "s3cr3t-key", kNow, false);
  EXPECT_TRUE(server.server);
  EXPECT_FALSE(server.user_id);
  auto issued = verify_token(jwt(R"({"user_id":"bob","iat":1780000000,"nbf":1780000000})"),
                             "s3cr3t-key", kNow, false);
  EXPECT_EQ(issued.issued_at, 1'780'000'000);
  EXPECT_EQ(issued.not_before, 1'780'000'000);
}

TEST(Token, DevelopmentTokensOnlyWhereAllowed) {
  // Standard base64 payload with '+' in it, as Stream's SDKs write it.
  const std::string dev = make_dev_token("j?>~");
  EXPECT_NE(dev.find("eyJ1c2VyX2lkIjoiaj8+fiJ9"), std::string::npos);
  auto claims = verify_token(dev, "any-secret", kNow, true);
  EXPECT_EQ(claims.user_id, "j?>~");
  EXPECT_TRUE(claims.development);
  EXPECT_EQ(rejection(dev), ErrorCode::token_signature_invalid);
}

TEST(Token, EveryRejectionHasItsCode) {
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","exp":1790000000})")), ErrorCode::token_expired);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","exp":1})")), ErrorCode::token_expired);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","nbf":1790000001})")), ErrorCode::token_not_valid_yet);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","iat":1799999999})")),
            ErrorCode::token_used_before_issued_at);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a"})", "another-secret")),
            ErrorCode::token_signature_invalid);
  // Another payload under the original signature.
  const std::string genuine = jwt(R"({"user_id":"a"})");
  const std::string tampered = genuine.substr(0, genuine.find('.') + 1) +
                               b64url(R"({"user_id":"root"})") + genuine.substr(genuine.rfind('.'));
  EXPECT_EQ(rejection(tampered), ErrorCode::token_signature_invalid);
  EXPECT_EQ(rejection(b64url(R"({"alg":"none"})") + "." + b64url(R"({"user_id":"a"})") + "."),
            ErrorCode::token_signature_invalid);
  EXPECT_EQ(rejection(signed_token("s3cr3t-key", R"({"alg":"HS512"})", R"({"user_id":"a"})")),
            ErrorCode::token_signature_invalid);
  EXPECT_EQ(rejection(jwt(R"({"user_id":""})")), ErrorCode::authentication);
  EXPECT_EQ(rejection(jwt(R"({"user_id":5})")), ErrorCode::authentication);
  EXPECT_EQ(rejection(jwt(R"({"user_id":"a","exp":"soon"})")), ErrorCode::authentication);
  EXPECT_EQ(rejection(jwt("not json")), ErrorCode::authentication);
  for (const char* malformed : {"", "abc", "a.b", "a.b.c.d", "!!!.###.$$$", "..",
                                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%%%.sig"}) {
    EXPECT_EQ(rejection(malformed), ErrorCode::authentication) << malformed;
  }
}

TEST(Token, ClientsReadClaimsWithoutTheSecret) {
  // Stream's JS test token for "amin", signed with a secret we do not know.
  auto claims = read_token_claims(
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiYW1pbiJ9."
      "dN0CCAW5CayCq0dsTXxLZvjxhQuZvlaeIfrJmxk9NkU");
  EXPECT_EQ(claims.user_id, "amin");
  EXPECT_THROW((void)read_token_claims("garbage"), ChatError);
}

}  // namespace
}  // namespace chatkeep
