"""Runs fakepve (the third party's fake of the Proxmox VE 9 API, PyPI `fakepve`) for
tests/tests/e2e/fakepve/, seeded with the lab of lab.json, through fakepve's public Python
API only (FakePve, its documented attributes and fakepve.certs.make_cert).

    python launch.py --dir DIR [--host 127.0.0.1] [--port 0] [--time-scale 0.01]

It writes its certificate to DIR/fakepve.crt and prints one JSON line when it listens:
{"url": ..., "cert": ..., "der": HEX}. Then it reads one JSON command per line on stdin
and answers each with one JSON line; it stops at the end of stdin.

    {"op": "mirror-access"}

fakepve keeps no state for /access writes (a documented gap: creating a user, a role,
an ACL or a token answers 200 and changes nothing, and a new token's secret reads
"fake"). This command replays the /access writes root has sent since the last one,
as fakepve recorded them in `pve.requests`, onto fakepve's own access model: roles
become privilege sets, ACL entries `pve.grant(...)`, and each new token gets a fresh
secret in `pve.apitokens`, which the answer returns (as pveum prints it), with the
grants made: {"tokens": {"USER!TOKEN": SECRET}, "grants": [[WHO, PATH, [PRIVS]]]}.
The test checks first that fakepve accepted each of these writes.
"""

import argparse
import asyncio
import json
import os
import re
import sys
import uuid
from urllib.parse import parse_qs, unquote

from fakepve import FakePve, settle
from fakepve.certs import make_cert

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS = re.compile(r'^/api2/json/access/(roles|acl|users/([^/]+)/token/([^/]+))(?:/([^/]+))?$')


def seed(pve, lab):
    """Builds the lab: nodes, storage options, guests, files and volumes."""
    for node in lab['nodes']:
        pve.add_node(node)
    for name, options in lab.get('storages', {}).items():
        pve.storages[name].update(options)
    for spec in lab['vms']:
        vm = pve.add_vm(spec['vmid'], spec['name'], node=spec['node'], status=spec['status'],
                        config=spec.get('config'), template=spec.get('template', False),
                        pool=spec.get('pool'))
        vm.start_secs = spec.get('start_secs', 0)
    for spec in lab['cts']:
        pve.add_ct(spec['vmid'], spec['name'], node=spec['node'], status=spec['status'],
                   config=spec.get('config'), pool=spec.get('pool'))
    for f in lab['files']:
        pve.store_file(f['storage'], f['name'], f['size'], f['content'])
    for v in lab['volumes']:
        volume = dict((k, v[k]) for k in ('content', 'format', 'size', 'vmid', 'ctime') if k in v)
        pve.storages[v['storage']].setdefault('volumes', {})[v['volname']] = volume


def form(body):
    """A recorded request body (form or JSON) as a dict of strings."""
    text = body.decode('utf-8', 'replace')
    if text.lstrip().startswith('{'):
        return dict((k, str(v)) for k, v in json.loads(text).items())
    return dict((k, vs[-1]) for k, vs in parse_qs(text, keep_blank_values=True).items())


def words(text):
    return [w for w in re.split(r'[,;\s]+', text or '') if w]


class Access(object):
    """Replays root's /access writes onto fakepve's access model."""

    def __init__(self, pve):
        self.pve = pve
        self.seen = 0
        self.roles = {}

    def mirror(self):
        tokens, grants = {}, []
        requests = self.pve.requests[self.seen:]
        self.seen = len(self.pve.requests)
        for method, path, body in requests:
            found = ACCESS.match(unquote(path))
            if not found or method not in ('POST', 'PUT'):
                continue
            p = form(body)
            if found.group(1) == 'roles':
                role = found.group(4) or p.get('roleid')
                privs = set(words(p.get('privs')))
                if method == 'PUT' and p.get('append') in ('1', 'true'):
                    privs |= self.roles.get(role, set())
                self.roles[role] = privs
            elif found.group(1) == 'acl' and p.get('delete') not in ('1', 'true'):
                privs = set()
                for role in words(p.get('roles')):
                    privs |= self.roles.get(role, set())
                for who in words(p.get('users')) + words(p.get('tokens')):
                    self.pve.grant(who, p['path'], *sorted(privs))
                    grants.append([who, p['path'], sorted(privs)])
            elif found.group(2) and method == 'POST':
                tokenid = '{0}!{1}'.format(found.group(2), found.group(3))
                self.pve.apitokens[tokenid] = tokens[tokenid] = str(uuid.uuid4())
        return {'tokens': tokens, 'grants': grants}


async def lines():
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line


async def serve(args):
    with open(os.path.join(HERE, 'lab.json')) as f:
        lab = json.load(f)
    pve = FakePve(host=args.host, port=args.port)
    pve.time_scale = args.time_scale
    pve.max_requests = 1000000
    seed(pve, lab)
    certfile, keyfile, der = make_cert(args.dir, hosts=(args.host,))
    await pve.start(certfile, keyfile)
    print(json.dumps({'url': pve.url, 'cert': certfile, 'der': der.hex()}), flush=True)
    access = Access(pve)
    try:
        async for line in lines():
            command = json.loads(line)
            if command.get('op') == 'mirror-access':
                answer = access.mirror()
            elif command.get('op') == 'requests':
                path = '/api2/json' + command['path']
                answer = {'bodies': [body.decode('utf-8', 'replace') for method, p, body in pve.requests
                                     if method == command['method'] and unquote(p) == path]}
            else:
                answer = {'error': 'unknown command {0!r}'.format(command.get('op'))}
            print(json.dumps(answer), flush=True)
    finally:
        await settle()
        await pve.stop()


if __name__ == '__main__':
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--dir', required=True)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0)
    parser.add_argument('--time-scale', type=float, default=0.01)
    asyncio.run(serve(parser.parse_args()))
