# Warning and sanitizer switches as INTERFACE targets, linked PRIVATE by every module.
# -Wnull-dereference is left out: GCC 12 at -O2 reports false positives inside libstdc++ streambuf and
# Asio after inlining, which -isystem cannot silence.
add_library(cardbridge_warnings INTERFACE)
target_compile_options(cardbridge_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wimplicit-fallthrough
  $<$<BOOL:${CARDBRIDGE_WERROR}>:-Werror>)

add_library(cardbridge_sanitizers INTERFACE)
if(CARDBRIDGE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CARDBRIDGE_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++): libFuzzer is clang's")
  endif()
  # Coverage for libFuzzer in every library of ours; the targets themselves link -fsanitize=fuzzer.
  target_compile_options(cardbridge_sanitizers INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(cardbridge_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(CARDBRIDGE_SANITIZE)
  target_compile_options(cardbridge_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(cardbridge_sanitizers INTERFACE -fsanitize=address,undefined)
endif()

# Everything a module of ours links privately: warnings + sanitizers.
add_library(cardbridge_options INTERFACE)
target_link_libraries(cardbridge_options INTERFACE cardbridge_warnings cardbridge_sanitizers)
