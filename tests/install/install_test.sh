#!/usr/bin/env bash
# Installs chatkeep into a temporary prefix, compiles every C++ block of the README against it,
# and builds the README's embedding example twice: through find_package(chatkeep) (the README's
# CMakeLists.txt) and through pkg-config. Then runs it against the installed chatkeep-server:
# online, again (its message now in the cache), with the server gone (the cache answers and the
# message is queued), and once the server is back (the queued message is delivered, once).
# Usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$1")
source=$(realpath "$2")
work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in include/chatkeep/client.hpp lib/libchatkeep.a lib/cmake/chatkeep/chatkeepConfig.cmake \
  lib/pkgconfig/chatkeep.pc bin/chatkeep bin/chatkeep-server include/chatkeep/chatkeep.h \
  lib/libchatkeep.so lib/libchatkeep.so.0; do
  [[ -e $prefix/$f ]] || fail "not installed: $f"
done

# The C interface, from C99, against the installed header and shared library.
cat > "$work/version.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "chatkeep/chatkeep.h"
int main(void) {
  const char *answer = chatkeep_execute(NULL, "{\"method\": \"version\"}");
  if (answer == NULL || strstr(answer, chatkeep_version()) == NULL) return 1;
  puts(chatkeep_version());
  return 0;
}
C
cc -std=c99 -Wall -Wextra -Werror -pedantic "$work/version.c" -o "$work/version" \
  -I"$prefix/include" -L"$prefix/lib" -lchatkeep -Wl,-rpath,"$prefix/lib" || fail "C interface: build"
"$work/version" > /dev/null || fail "C interface: run"

# The README's code blocks, as they are: block N (from 1) in language L.
fence() {
  awk -v lang="$1" -v want="$2" '
    $0 == "```" lang { n++; on = (n == want); next }
    on && /^```/ { exit }
    on' "$source/README.md"
}
mkdir "$work/hello"
fence cmake 1 > "$work/hello/CMakeLists.txt"
fence cpp 1 > "$work/hello/hello.cpp"
grep -q 'find_package(chatkeep' "$work/hello/CMakeLists.txt" || fail "README: no cmake block"
grep -q 'ChatClient' "$work/hello/hello.cpp" || fail "README: no cpp block"

cmake -S "$work/hello" -B "$work/hello/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/hello/build" >/dev/null
pkg_flags=$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs chatkeep)
g++ -std=c++20 "$work/hello/hello.cpp" -o "$work/hello/hello-pc" $pkg_flags
# The README's other C++ blocks are fragments: each must compile against the package.
for n in $(seq 2 9); do
  fence cpp "$n" > "$work/fragment$n.cpp"
  [[ -s $work/fragment$n.cpp ]] || break
  g++ -std=c++20 -c "$work/fragment$n.cpp" -o /dev/null $pkg_flags || fail "README: C++ block $n"
done
[[ -e $work/fragment2.cpp && -s $work/fragment2.cpp ]] || fail "README: no second C++ block"

start_server() {
  "$prefix/bin/chatkeep-server" --api-key key --api-secret secret --db "$work/server.db" \
    --log-level off > "$work/server.out" &
  server_pid=$!
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/server.out")
    [[ -n $port ]] && return
    sleep 0.1
  done
  fail "chatkeep-server did not start"
}
token=$("$prefix/bin/chatkeep" token --user alice --secret secret)
run() {  # run PROGRAM EXPECTED...: the program's output must hold each expected line
  local out
  out=$(cd "$work" && "$1" "http://127.0.0.1:$port" key alice "$token" 2>&1) || fail "$1 exited $?: $out"
  shift
  for line in "$@"; do
    grep -qx -- "$line" <<< "$out" || fail "expected '$line' in: $out"
  done
  echo "$out"
}

start_server
run "$work/hello/build/hello" "server: 0 messages" "sent .*"
run "$work/hello/hello-pc" "cache: 1 messages" "server: 1 messages" "sent .*"
kill "$server_pid"; wait "$server_pid" || true; server_pid=
run "$work/hello/build/hello" "cache: 2 messages" "server: .*" "queued .*"
start_server
run "$work/hello/build/hello" "cache: 3 messages" "sent .*"
run "$work/hello/build/hello" "cache: 4 messages" "server: 4 messages" "sent .*"
echo "PASS"
