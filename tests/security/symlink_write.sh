#!/bin/sh
# A symlink in an allowed directory must not carry a write outside it. The
# path check resolved a link to an existing file, but a dangling link (to a
# file not yet there) passed as a new file inside the directory, and the
# writers, which write through a symlink to its target, then created the
# target outside: sandbox.run (no kernel wall) wrote outside/new.csv. Now
# the check follows a dangling link to where it points, as the writer
# would. Links that stay inside still work.
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/allowed/sub" "$T/outside"
printf 'x\n1\n2\n' >"$T/allowed/in.csv"
ln -s "$T/outside/new.csv" "$T/allowed/dangling.csv"
ln -s ../outside/rel.csv "$T/allowed/relative.csv"
ln -s "$T/allowed/hop.csv" "$T/allowed/chain.csv" # a link to a dangling link
ln -s "$T/outside/hop.csv" "$T/allowed/hop.csv"
ln -s "$T/outside" "$T/allowed/dirlink"
ln -s sub/kept.csv "$T/allowed/inside.csv"         # dangling, but inside
cat >"$T/attack.lua" <<LUA
local b = require 'bundle'
local f = b.read_csv("$T/allowed/in.csv")
for _, name in ipairs{ "dangling.csv", "relative.csv", "chain.csv", "dirlink/x.csv" } do
  local ok, e = pcall(f.write_csv, f, "$T/allowed/" .. name)
  print(name, ok, e)
end
print("json", pcall(b.json.write, "$T/allowed/dangling.csv", { 1 }))
print("inside", pcall(f.write_csv, f, "$T/allowed/inside.csv"))
LUA

check_outside() {
  if [ -z "$(ls -A "$T/outside")" ]; then ok "$1: nothing was written outside"; else
    bad "$1: written outside: $(ls "$T/outside" | tr '\n' ' ')"
    rm -f "$T/outside"/*
  fi
}

# in-process: sandbox.run, where only the path check stands
run -e "local b = require 'bundle'
local f = assert(io.open('$T/attack.lua')):read('a')
print(b.sandbox.run(f, { read = { '$T/allowed' }, write = { '$T/allowed' } }))"
expect_rc 0 "sandbox.run: the attack script ran"
check_outside "sandbox.run"
for name in dangling.csv relative.csv chain.csv dirlink/x.csv; do
  has "$T/out" "$name	false	write_csv: sandbox: writing '$T/allowed/$name' is not allowed (outside the allowed directories)" \
    "  ... $name is refused, named"
done
has "$T/out" "json	false" "  ... json.write through the dangling link is refused"
has "$T/out" "inside	true" "  ... a dangling link that stays inside is written"
if [ -f "$T/allowed/sub/kept.csv" ]; then ok "  ... through to its target"; else bad "  ... sub/kept.csv missing"; fi
rm -f "$T/allowed/sub/kept.csv"

# bundlerun --sandbox: the same check, and Landlock behind it
run --sandbox --allow-read "$T/allowed" --allow-write "$T/allowed" "$T/attack.lua"
expect_rc 0 "--sandbox: the attack script ran"
check_outside "--sandbox"
has "$T/out" "dangling.csv	false	write_csv: sandbox: writing" "  ... the dangling link is refused by the path check"
finish
