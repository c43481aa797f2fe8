"""report.py: the tables and the goal lines `make bench` prints, from one run's figures.

A table has a row per server, in the order run: its figures per mode (req/s
or MiB/s, wrk's p99, requests over wrk's timeout) or why it has none (not
installed, not built, did not start, a floor's fixed answer). A goal line is
a ratio measured in this run against its goal, "met" or "MISSED", or "not
measured" (with why) when a figure it needs is missing. The goals are issue
19's, then those of issue 7 that still mean something.

Contract: pure functions of the figures; goals() returns the goal records
(label, value, goal, met) that bench.py also writes to --json. Standard
library only.
Must not: measure anything, or call a goal met on a missing figure.
"""


def fmt_rate(mode, figure):
    return f"{figure['mib_s']:,.0f}" if mode.get("unit") == "MiB/s" else f"{figure['rps']:,.0f}"


def fmt_p99(figure):
    p99 = figure.get("p99_ms")
    return "-" if p99 is None else f"{p99:,.1f} ms" if p99 < 1000 else f"{p99 / 1000:,.2f} s"


def table(title, modes, rows):
    """Markdown: one row per server; modes are dicts with key, name and unit."""
    head = f"| {title} |"
    rule = "|---|"
    for mode in modes:
        head += f" {mode['name']} {mode['unit']} | p99 | over timeout |"
        rule += "---:|---:|---:|"
    lines = [head + " errors |", rule + "---|"]
    for row in rows:
        if "note" in row:
            lines.append(f"| {row['label']} | {row['note']} |" + " |" * (3 * len(modes)))
            continue
        cells, errors = "", []
        for mode in modes:
            figure = row["figures"][mode["key"]]
            cells += f" {fmt_rate(mode, figure)} | {fmt_p99(figure)} | {figure['timeouts']} |"
            if figure["errors"]:
                errors.append(f"{mode['name']}: {figure['errors']}")
        lines.append(f"| {row['label']} |{cells} {'; '.join(errors)} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- goals
def figure(tables, table_key, server, mode, field):
    """One figure of one server's row, or None when the row has none."""
    row = tables.get(table_key, {}).get(server)
    if not row or "figures" not in row:
        return None
    return row["figures"].get(mode, {}).get(field)


def ratio(ours, theirs):
    return None if not ours or not theirs else ours / theirs


class Goals:
    def __init__(self):
        self.records = []

    def add(self, label, value, goal, higher_is_better=True, why_missing="", unit="x", detail=""):
        met = None if value is None else (value >= goal if higher_is_better else value <= goal)
        self.records.append({"label": label, "value": value, "goal": goal, "unit": unit,
                             "higher_is_better": higher_is_better, "met": met,
                             "why_missing": why_missing if value is None else None, "detail": detail})

    def check(self, label, passed, detail, why_missing="not run"):
        """A goal that holds or not, with no figure (--attest)."""
        self.records.append({"label": label, "value": passed, "goal": True, "unit": "check", "met": passed,
                             "why_missing": why_missing if passed is None else None, "detail": detail})

    def lines(self):
        out = []
        for g in self.records:
            if g["value"] is None:
                out.append(f"  {g['label']}: not measured ({g['why_missing']})")
                continue
            if g["unit"] == "check":
                out.append(f"  {g['label']}: {'passed' if g['met'] else 'FAILED'} "
                           f"(goal: passes: {'met' if g['met'] else 'MISSED'}; {g['detail']})")
                continue
            sign = ">=" if g["higher_is_better"] else "<="
            value, goal = fmt_value(g["value"], g["unit"]), fmt_value(g["goal"], g["unit"])
            detail = f"; {g['detail']}" if g["detail"] else ""
            out.append(f"  {g['label']}: {value} (goal {sign} {goal}: {'met' if g['met'] else 'MISSED'}{detail})")
        return out


def fmt_value(value, unit):
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "requests":
        return f"{value:,.0f} {unit}"
    if unit == "KiB":
        return f"{value:,.1f} {unit}"
    return f"{value:,.2f} {unit}"


def both(ours, theirs, unit="req/s"):
    return "" if ours is None or theirs is None else f"{ours:,.0f} / {theirs:,.0f} {unit}"


def missing(tables, table_key, *names):
    """Why a goal over these servers' rows of one table has no value."""
    absent = [name for name in names if "figures" not in tables.get(table_key, {}).get(name, {})]
    return f"no {table_key}-table figures for {' or '.join(absent) or '?'} in this run"


def issue_19(tables, probes, goals, counts):
    """counts: the connection counts of the run (conns, many, idle)."""
    get = lambda t, s, m, f: figure(tables, t, s, m, f)
    conns, many = counts["conns"], counts["many"]
    close, floor_close = get("small", "prong", "close", "rps"), get("small", "fork-floor", "close", "rps")
    why = missing(tables, "small", "prong", "fork-floor")
    goals.add(f"1 KiB Connection: close ({conns} connections) vs the C fork floor", ratio(close, floor_close), 1.0,
              detail=both(close, floor_close), why_missing=why)
    goals.add("1 KiB Connection: close vs the C fork floor, the aim", ratio(close, floor_close), 1.2,
              why_missing=why)
    cpu = probes.get("cpu") or {}
    prong_cpu, floor_cpu = cpu.get("prong"), cpu.get("process floor")
    beyond = None if not prong_cpu or not floor_cpu else (prong_cpu["total_us"] - floor_cpu["total_us"])
    goals.add("prong's CPU per connection beyond the process floor's, as a share of the floor's",
              None if beyond is None else beyond / floor_cpu["total_us"], 0.25, higher_is_better=False,
              why_missing="the CPU probe did not measure both", detail="" if beyond is None else
              f"{prong_cpu['total_us']:.0f} - {floor_cpu['total_us']:.0f} = {beyond:.0f} us")
    keep, nginx_keep = get("small", "prong", "keep-alive", "rps"), get("small", "nginx", "keep-alive", "rps")
    goals.add(f"1 KiB keep-alive ({conns} connections) vs nginx", ratio(keep, nginx_keep), 1.0,
              detail=both(keep, nginx_keep), why_missing=missing(tables, "small", "prong", "nginx"))
    calls = (probes.get("syscalls") or {}).get("per_request")
    goals.add("system calls per kept-alive request", calls, 3, higher_is_better=False, unit="calls",
              why_missing="the strace probe did not run")
    why = missing(tables, "many", "prong", "nginx")
    crowd, nginx_crowd = get("many", "prong", "keep-alive", "rps"), get("many", "nginx", "keep-alive", "rps")
    goals.add(f"{many:,} connections keep-alive vs nginx", ratio(crowd, nginx_crowd), 0.8,
              detail=both(crowd, nginx_crowd), why_missing=why)
    timeouts, nginx_timeouts = (get("many", name, "keep-alive", "timeouts") for name in ("prong", "nginx"))
    goals.add(f"{many:,} connections: prong's requests over wrk's 2 s timeout", timeouts, 0, higher_is_better=False,
              unit="requests", detail="" if nginx_timeouts is None else f"nginx {nginx_timeouts}",
              why_missing=missing(tables, "many", "prong"))
    p99, nginx_p99 = get("many", "prong", "keep-alive", "p99_ms"), get("many", "nginx", "keep-alive", "p99_ms")
    goals.add(f"{many:,} connections p99 vs nginx's", ratio(p99, nginx_p99), 5, higher_is_better=False,
              detail="" if p99 is None or nginx_p99 is None else f"{p99:,.1f} / {nginx_p99:,.1f} ms",
              why_missing=why)
    memory = probes.get("memory") or {}
    goals.add(f"memory per idle kept-alive connection, all-in ({counts['idle']:,} connections)",
              memory.get("per_connection_kib"), 60, higher_is_better=False, unit="KiB",
              why_missing="the memory probe did not run")
    attest = probes.get("attest")
    goals.check("--attest on the build measured", None if attest is None else attest["passed"],
                "" if attest is None else attest["detail"])


def issue_7(tables, goals, counts):
    get = lambda t, s, m, f: figure(tables, t, s, m, f)
    keep, close = get("small", "prong", "keep-alive", "rps"), get("small", "prong", "close", "rps")
    for peer in ("mini_httpd", "althttpd"):
        why = missing(tables, "small", "prong", peer)
        peer_keep, peer_close = get("small", peer, "keep-alive", "rps"), get("small", peer, "close", "rps")
        goals.add(f"1 KiB keep-alive vs {peer}", ratio(keep, peer_keep), 5, detail=both(keep, peer_keep),
                  why_missing=why)
        goals.add(f"1 KiB Connection: close vs {peer}", ratio(close, peer_close), 2, detail=both(close, peer_close),
                  why_missing=why)
    p99, nginx_p99 = get("small", "prong", "keep-alive", "p99_ms"), get("small", "nginx", "keep-alive", "p99_ms")
    goals.add(f"1 KiB keep-alive p99 ({counts['conns']} connections) vs nginx's", ratio(p99, nginx_p99), 2,
              higher_is_better=False, why_missing=missing(tables, "small", "prong", "nginx"),
              detail="" if p99 is None or nginx_p99 is None else f"{p99:,.1f} / {nginx_p99:,.1f} ms")
    for mode in ("keep-alive", "close"):
        ours, nginx = get("big", "prong", mode, "mib_s"), get("big", "nginx", mode, "mib_s")
        goals.add(f"10 MiB {mode} vs nginx", ratio(ours, nginx), 0.95, detail=both(ours, nginx, "MiB/s"),
                  why_missing=missing(tables, "big", "prong", "nginx"))


def context_lines(tables, many):
    """Not goals: prong against the other peers and the process floor."""
    get = lambda t, s, m, f: figure(tables, t, s, m, f)
    out = []
    for peer in ("lighttpd", "webfs", "process-floor"):
        parts = []
        for mode in ("keep-alive", "close"):
            r = ratio(get("small", "prong", mode, "rps"), get("small", peer, mode, "rps"))
            if r is not None:
                parts.append(f"{mode} {r:.2f}x")
        if parts:
            out.append(f"  1 KiB, prong / {peer}: " + ", ".join(parts))
    r = ratio(get("many", "prong", "keep-alive", "rps"), get("many", "process-floor", "keep-alive", "rps"))
    if r is not None:
        out.append(f"  {many:,} connections, prong / process-floor: {r:.2f}x req/s, p99 "
                   f"{fmt_p99(tables['many']['prong']['figures']['keep-alive'])} against "
                   f"{fmt_p99(tables['many']['process-floor']['figures']['keep-alive'])}")
    return out
