-- Data safety: a writer killed or failing mid-write leaves the previous
-- file as it was (every writer goes through a temporary file, fsync and
-- rename), and reading never modifies an input.
local bundle = require "bundle"
local files = require "spec_files"
local slurp, tmpdir, write = files.slurp, files.tmpdir, files.write
local BUNDLERUN = os.getenv("BUNDLERUN") or "build/bundlerun"
local SAMPLE = "examples/data/online_retail_2011h2.csv.gz"

-- One script per writer: each writes the big sample (about 40 MB of CSV,
-- or a large JSON, model or report) to `target`.
local writers = {
  csv = [[local b = require "bundle"; b.read_csv(%q):write_csv(%q)]],
  json = [[local b = require "bundle"; local t = {}; for i = 1, 400000 do t[i] = { i, "row" .. i } end
           b.json.write(%q, t) -- %q]],
  model = [[local b = require "bundle"; local T = b.tensor
            local m = b.model.mlp{ layers = { 1500, 1500 }, epochs = 1, seed = 1 }
            m:fit(T.rand(4, 8), T.rand(4)); m:save(%q) -- %q]],
}

local function script_for(kind, dir, target)
  local path = dir .. "/" .. kind .. ".lua"
  local body = writers[kind]
  if kind == "csv" then write(path, body:format(SAMPLE, target))
  else write(path, body:format(target, "")) end
  return path
end

describe("a writer that fails mid-write", function()
  for _, kind in ipairs{ "csv", "json", "model" } do
    it(("leaves the previous %s file intact when the file size limit stops it"):format(kind), function()
      local dir = tmpdir()
      local target = dir .. "/out." .. kind
      write(target, "previous contents\n")
      local script = script_for(kind, dir, target)
      -- 256 KiB: the write fails part way (SIGXFSZ ignored, so write() returns EFBIG)
      local cmd = ("sh -c 'trap \"\" XFSZ; ulimit -f 256; exec %s %s' >%s/out 2>%s/err"):format(BUNDLERUN, script, dir, dir)
      local ok = os.execute(cmd)
      assert.is_not_true(ok)
      assert.are.equal("previous contents\n", slurp(target))
      assert.truthy(#slurp(dir .. "/err") > 0) -- it said why
      -- and no temporary file is left behind
      local p = io.popen("ls -A " .. dir)
      local names = p:read("a")
      p:close()
      assert.falsy(names:find(".tmp", 1, true), names)
      os.execute("rm -rf " .. dir)
    end)
  end

  it("leaves the old file or the whole new one when the writer is killed", function()
    local dir = tmpdir()
    local target = dir .. "/out.csv"
    write(target, "previous contents\n")
    local script = script_for("csv", dir, target)
    -- kill -9 at several moments; whatever the moment, the target is whole
    for _, delay in ipairs{ "0.2", "0.6", "1.0" } do
      os.execute(("%s %s & pid=$!; sleep %s; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null"):format(BUNDLERUN,
        script, delay))
      local got = slurp(target)
      if got ~= "previous contents\n" then
        -- the new file, complete: it parses with every row
        local f = bundle.read_csv(target)
        assert.are.equal(bundle.read_csv(SAMPLE):nrows(), f:nrows())
      end
    end
    os.execute("rm -rf " .. dir)
  end)
end)

describe("reading", function()
  it("never modifies an input", function()
    local dir = tmpdir()
    local csv, dat = dir .. "/in.csv", dir .. "/in.dat"
    write(csv, "a,b\n1,x\n2,y\n")
    write(dat, "1 2 3\n2 3\n")
    local function stamp(p)
      local h = io.popen("stat -c '%s %Y %a' " .. p)
      local s = h:read("a")
      h:close()
      return s .. slurp(p)
    end
    local before_csv, before_dat = stamp(csv), stamp(dat)
    bundle.read_csv(csv)
    bundle.read_baskets(dat)
    assert.are.equal(before_csv, stamp(csv))
    assert.are.equal(before_dat, stamp(dat))
    os.execute("rm -rf " .. dir)
  end)
end)
