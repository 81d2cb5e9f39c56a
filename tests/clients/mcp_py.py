"""Drive mcp-front with the official MCP Python SDK, 1.x or 2.x, and print on stdout one
JSON report of everything the client saw. Run by tests/tests/e2e/clients/.

    python mcp_py.py PLAN_JSON

PLAN_JSON: {"front": PATH, "socket": PATH,
            "mode": "session" (1.x ClientSession) | "legacy" | "auto" | "2026-07-28" (2.x Client),
            "version": protocol version a 1.x session asks for (optional),
            "calls": [{"id": NAME, "tool": TOOL, "args": {...}}, ...]}

Every call is made with a progress callback, and the elicitation callback accepts,
so the report shows the progress and the confirmation questions each call produced.
A client that cannot connect reports {"connectError": TEXT}: what it would show its
user for a failed server.
"""

import asyncio
import json
import sys

import mcp
from mcp import types


def dump(model):
    if model is None:
        return None
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


class Recorder:
    def __init__(self):
        self.elicitations = []
        self.progress = []

    async def elicit(self, context, params):
        self.elicitations.append(dump(params))
        return types.ElicitResult(action="accept", content={"confirm": True})

    def progress_for(self, sink):
        async def on_progress(progress, total, message):
            sink.append({"progress": progress, "total": total, "message": message})

        return on_progress


async def run_calls(call_tool, plan, recorder):
    results = {}
    for call in plan["calls"]:
        progress = []
        before = len(recorder.elicitations)
        try:
            result = await call_tool(call["tool"], call["args"], recorder.progress_for(progress))
            entry = dump(result)
        except Exception as e:  # a JSON-RPC error is part of what the client sees
            entry = {"exception": f"{type(e).__name__}: {e}"}
        entry["progressSeen"] = progress
        entry["elicitationsSeen"] = recorder.elicitations[before:]
        results[call["id"]] = entry
    return results


async def with_session(plan, recorder):
    """The 1.x line: ClientSession over stdio_client, initialize at `version`."""
    from mcp.client.stdio import stdio_client

    if plan.get("version"):
        types.LATEST_PROTOCOL_VERSION = plan["version"]
    server = mcp.StdioServerParameters(command=plan["front"], args=["--socket", plan["socket"]])
    async with stdio_client(server) as (read, write):
        async with mcp.ClientSession(read, write, elicitation_callback=recorder.elicit) as session:
            init = await session.initialize()
            tools = await session.list_tools()

            async def call_tool(name, args, on_progress):
                return await session.call_tool(name, args, progress_callback=on_progress)

            calls = await run_calls(call_tool, plan, recorder)
            return {
                "sdk": "1.x",
                "protocolVersion": init.protocolVersion,
                "serverInfo": dump(init.serverInfo),
                "instructions": init.instructions,
                "tools": [dump(t) for t in tools.tools],
                "calls": calls,
            }


async def with_client(plan, recorder):
    """The 2.x line: Client, negotiating by `mode` (auto probes server/discover)."""
    server = mcp.StdioServerParameters(command=plan["front"], args=["--socket", plan["socket"]])
    async with mcp.Client(server, mode=plan["mode"], elicitation_callback=recorder.elicit) as client:
        tools = await client.list_tools()

        async def call_tool(name, args, on_progress):
            return await client.call_tool(name, args, progress_callback=on_progress)

        calls = await run_calls(call_tool, plan, recorder)
        return {
            "sdk": "2.x",
            "protocolVersion": client.protocol_version,
            "serverInfo": dump(client.server_info),
            "instructions": client.instructions,
            "tools": [dump(t) for t in tools.tools],
            "calls": calls,
        }


def describe(e):
    """The messages of an exception and of the exceptions grouped in it."""
    parts = [f"{type(e).__name__}: {e}"]
    for inner in getattr(e, "exceptions", ()):
        parts.append(describe(inner))
    return "\n".join(parts)


def main():
    plan = json.loads(sys.argv[1])
    recorder = Recorder()
    run = with_session if plan["mode"] == "session" else with_client
    try:
        report = asyncio.run(run(plan, recorder))
    except Exception as e:  # the server failed to start: what the user would be shown
        report = {"connectError": describe(e)}
    report["mcpVersion"] = getattr(mcp, "__version__", None)
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
