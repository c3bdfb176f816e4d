-- wrk script for the machine benchmarks (bench/machine.sh): one fixed POST, its form body and
-- Authorization header taken from the environment so no secret lands in a file.
wrk.method = "POST"
wrk.body = os.getenv("WRK_BODY") or ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("WRK_AUTH")
if auth and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
