#!/usr/bin/env python3
"""A minimal MCP client for the system tests: runs COMMAND (mcp-front, directly or
through ssh), speaks JSON-RPC over its stdin/stdout, and prints one JSON summary:
server info, tool names, and the result of each --call. Every stdout line of the
server must be JSON-RPC (no banner, no motd). Exit 1 on any protocol failure.

    mcp_probe.py [--call TOOL JSON_ARGS]... -- COMMAND [ARG...]
"""
import json
import queue
import subprocess
import sys
import threading

TIMEOUT = 30


def main() -> int:
    args = sys.argv[1:]
    calls = []
    while args and args[0] == "--call":
        calls.append((args[1], json.loads(args[2])))
        args = args[3:]
    if not args or args[0] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    proc = subprocess.Popen(args[1:], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines: "queue.Queue[str | None]" = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()

    def send(msg: dict) -> None:
        proc.stdin.write(json.dumps(msg) + "\n")
        proc.stdin.flush()

    def request(rid: int, method: str, params: dict) -> dict:
        send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            try:
                line = lines.get(timeout=TIMEOUT)
            except queue.Empty:
                raise SystemExit(f"no answer to {method} within {TIMEOUT} s")
            if line is None:
                raise SystemExit(f"the server closed stdout before answering {method}")
            try:
                msg = json.loads(line)
            except ValueError:
                raise SystemExit(f"not JSON-RPC on stdout: {line.rstrip()[:200]!r}")
            if msg.get("jsonrpc") != "2.0":
                raise SystemExit(f"not JSON-RPC 2.0: {line.rstrip()[:200]!r}")
            if msg.get("id") == rid:
                if "error" in msg:
                    raise SystemExit(f"{method} failed: {msg['error']}")
                return msg["result"]

    summary = {}
    try:
        init = request(1, "initialize", {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "pve-mcp-system-test", "version": "0"},
        })
        summary["server"] = init.get("serverInfo", {})
        summary["protocolVersion"] = init.get("protocolVersion")
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        tools = request(2, "tools/list", {})
        summary["tools"] = sorted(t["name"] for t in tools.get("tools", []))
        summary["calls"] = []
        for i, (tool, arguments) in enumerate(calls):
            res = request(10 + i, "tools/call", {"name": tool, "arguments": arguments})
            text = " ".join(c.get("text", "") for c in res.get("content", []))
            summary["calls"].append({
                "tool": tool,
                "isError": bool(res.get("isError")),
                "structured": res.get("structuredContent"),
                "text": text[:2000],
            })
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise SystemExit("the server did not exit when its stdin closed")
    summary["exit"] = proc.returncode
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
