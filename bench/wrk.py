"""wrk: the command line, its Lua scripts and the parser of its output."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

THREADS = 2

#: Counts answers by kind (2xx, 409, others) and prints them at the end of the run.
_STATUS_LUA = """
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
c2xx, c409, cother = 0, 0, 0
function response(status, headers, body)
  if status >= 200 and status < 300 then c2xx = c2xx + 1
  elseif status == 409 then c409 = c409 + 1
  else cother = cother + 1 end
end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("c2xx"); b = b + t:get("c409"); c = c + t:get("cother")
  end
  io.write(string.format("BENCH_STATUS ok=%d conflict=%d other=%d\\n", a, b, c))
end
"""

#: args: run prefix, webhook token, path. A new event id on every request.
WEBHOOK_LUA = (
    _STATUS_LUA
    + """
function init(args)
  prefix = args[1]; token = args[2]; counter = 0
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"id":"evt_%s_%d_%d","event":"PAYMENT_UPDATED",' ..
    '"payment":{"id":"pay_bench_unknown_%s","status":"PENDING","value":100.0}}',
    prefix, tid, counter, prefix)
  return wrk.format("POST", nil,
    {["Content-Type"] = "application/json", ["asaas-access-token"] = token}, body)
end
"""
)

#: args: token, first Monday (local midnight written as a UTC epoch), threads, professional
#: ids (comma-separated, 30-minute grids), patient id ("" = not billed). Request n books slot
#: n of a grid of distinct working-hour slots (08:00-12:00, 13:00-18:00, Monday to Friday);
#: slot 0 is left to the harness's own first request.
BOOKING_LUA = (
    _STATUS_LUA
    + """
function init(args)
  token = args[1]; start_epoch = tonumber(args[2]); nthreads = tonumber(args[3])
  pros = {}
  for id in string.gmatch(args[4], "%d+") do table.insert(pros, id) end
  patient = args[5] or ""; counter = 0
end
function request()
  local n = counter * nthreads + tid + 1
  counter = counter + 1
  local pro = pros[(n % #pros) + 1]
  local k = math.floor(n / #pros)
  local d = math.floor(k / 18); local s = k % 18
  local day = math.floor(d / 5) * 7 + d % 5
  local minutes = (s < 8) and (480 + 30 * s) or (780 + 30 * (s - 8))
  local date = os.date("!%Y-%m-%dT%H:%M:00-03:00", start_epoch + day * 86400 + minutes * 60)
  local body = '{"professional":' .. pro .. ',"date":"' .. date .. '","duration_minutes":30'
  if patient ~= "" then
    body = body .. ',"patient":' .. patient .. ',"total_amount":"200.00"'
  end
  body = body .. '}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, body)
end
"""
)

GET_LUA = _STATUS_LUA


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    ok: int | None = None
    conflicts: int | None = None
    other: int | None = None
    socket_errors: int = 0

    @property
    def non_2xx(self) -> int:
        return (self.conflicts or 0) + (self.other or 0)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m)\b"


def _ms(number: str, unit: str) -> float:
    return float(number) * _UNITS[unit]


def parse(output: str) -> WrkResult:
    """The figures of one ``wrk --latency`` run (with the status counts of our Lua scripts)."""
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    requests = re.search(r"(\d+) requests in", output)
    if rps is None or requests is None:
        raise ValueError(f"not a wrk report: {output[-500:]!r}")
    percentiles = {
        int(match[1]): _ms(match[2], match[3])
        for match in re.finditer(r"^\s+(\d+)%\s+" + _DURATION, output, re.MULTILINE)
    }
    status = re.search(r"BENCH_STATUS ok=(\d+) conflict=(\d+) other=(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    completed = int(requests[1])
    if not completed:  # every request outlived the run: wrk prints zeros for the percentiles
        percentiles = {}
    return WrkResult(
        rps=float(rps[1]),
        p50_ms=percentiles.get(50, float("nan")),
        p99_ms=percentiles.get(99, float("nan")),
        requests=completed,
        ok=int(status[1]) if status else None,
        conflicts=int(status[2]) if status else None,
        other=int(status[3]) if status else None,
        socket_errors=sum(int(value) for value in errors.groups()) if errors else 0,
    )


def binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk não está instalado: instale com `apt-get install wrk` (Debian/Ubuntu) "
            "e rode de novo."
        )
    return found


def run(
    url: str,
    *,
    script: Path,
    seconds: int,
    connections: int,
    headers: dict[str, str],
    script_args: list[str] | None = None,
) -> WrkResult:
    argv = [
        binary(),
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(url)
    if script_args:
        argv += ["--", *script_args]
    completed = subprocess.run(
        argv, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed: {completed.stderr[-1000:]}")
    return parse(completed.stdout)
