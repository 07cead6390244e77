# Warnings for chatkeep's own targets; third-party headers are included as system headers.
function(chatkeep_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
    -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wimplicit-fallthrough
    # Model types are mostly std::optional members built with designated initializers
    # (User{.id = "alice"}); leaving the rest to their defaults is the point.
    -Wno-missing-field-initializers)
  if(CHATKEEP_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
