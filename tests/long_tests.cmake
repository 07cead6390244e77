# Read by CTest after the discovered tests (TEST_INCLUDE_FILES): the longest tests start first,
# so that a parallel run does not end waiting on one of them started last (a fresh build
# directory has no timings of its own to order by). Each takes minutes under the sanitizers; a
# name that is not a test here (a build without that executable) is passed over.
set_tests_properties(
  ClientTest.UploadsSurviveAHundredKillsAndArriveOnceByteForByte
  ClientTest.OutboxActionsSurviveHundredsOfKillsAndArriveExactlyOnce
  OutboxChaosTest.ThreeUsersTwoThousandActionsAFailingServerAndAllAgree
  PROPERTIES COST 10000)
