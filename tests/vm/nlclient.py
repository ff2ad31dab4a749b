#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Test client for the iscsi_ini kernel interface, Python standard library only.

Two halves:
  * a generic netlink client for the family "iscsi_ini": resolves the family and its multicast
    group through nlctrl, sends any operation with typed attributes, decodes replies, errors with
    their extack message, dumps, and listens to the events group;
  * a minimal iSCSI login (no CHAP: AuthMethod=None, then operational negotiation with parameters
    from the command line) that hands the logged-in socket to the kernel with session-new and
    conn-bind, like iscsid does, so the datapath can be tested before the daemon exists.

Attribute and command numbers come from the generated UAPI header (kmod/include/uapi/iscsi_ini.h),
so they follow docs/netlink/iscsi_ini.yaml; the attribute types are listed here (ATTR_TYPES) and
checked against the header at start.

usage:
  nlclient.py version
  nlclient.py do OP [NAME=VALUE...]        any operation, e.g. do session-get session-id=1
  nlclient.py dump OP                      e.g. dump session-get
  nlclient.py listen [--count N] [--timeout S]   "listening" on stderr once subscribed, then the events
  nlclient.py login --target IQN [options] log in, session-new (or --session ID: rebind), conn-bind
Output is NAME=VALUE lines (nested attributes as SET.NAME=VALUE), one blank line between messages.
"""

import argparse
import errno
import glob
import os
import pathlib
import re
import select
import socket
import struct
import sys
import time

FAMILY = "iscsi_ini"
HEADER = pathlib.Path(__file__).resolve().parents[2] / "kmod/include/uapi/iscsi_ini.h"

# Types of the attributes in docs/netlink/iscsi_ini.yaml, by attribute set.
ATTR_TYPES = {
    "iscsi-ini": {
        "version": "u32", "module-version": "string", "session-id": "u32", "host-no": "u32",
        "state": "u32", "target-name": "string", "initiator-name": "string", "isid": "binary",
        "tsih": "u16", "portal": "string", "tpgt": "u16", "max-recv-dlength": "u32",
        "max-xmit-dlength": "u32", "first-burst-length": "u32", "max-burst-length": "u32",
        "initial-r2t": "u8", "immediate-data": "u8", "max-outstanding-r2t": "u16",
        "header-digest": "u8", "data-digest": "u8", "data-pdu-in-order": "u8",
        "data-sequence-in-order": "u8", "erl": "u8", "cmds-max": "u16", "replacement-timeout": "u32",
        "noop-interval": "u32", "noop-timeout": "u32", "cid": "u16", "sock-fd": "s32",
        "exp-stat-sn": "u32", "cmd-sn": "u32", "exp-cmd-sn": "u32", "max-cmd-sn": "u32",
        "reason": "u32", "async-event": "u8", "async-vcode": "u8", "lun": "u64", "sense": "binary",
        "stats": "nest:stats", "pad": "pad", "max-connections": "u16", "conn": "nest:conn",
        "scan-gen": "u32",
    },
    "conn": {
        "cid": "u16", "exp-stat-sn": "u32", "cmds": "u64", "read-bytes": "u64", "write-bytes": "u64",
        "pad": "pad",
    },
    "stats": {
        "cmds": "u64", "read-bytes": "u64", "write-bytes": "u64", "conn-errors": "u64",
        "digest-errors": "u64", "nop-timeouts": "u64", "aborts": "u64", "resets": "u64", "binds": "u64",
        "pad": "pad",
    },
}
# Attributes that repeat (multi-attr in the spec): decoded as a list, printed as NAME.I.FIELD.
MULTI = {"conn"}
SCALARS = {"u8": "B", "u16": "H", "u32": "I", "u64": "Q", "s32": "i"}

# netlink and nlctrl constants (linux/netlink.h, linux/genetlink.h)
NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP = 1
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x2, 0x4, 0x300
NLM_F_ACK_TLVS = 0x200
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE = 1, 2, 5
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2
NLA_F_NESTED = 0x8000


class NetlinkError(Exception):
    def __init__(self, code, extack):
        self.code = code
        self.extack = extack
        name = errno.errorcode.get(code, str(code))
        msg = f"{name} ({os.strerror(code)})" + (f": {extack}" if extack else "")
        super().__init__(msg)


def read_uapi(path=HEADER):
    """Attribute sets, commands and enums from the generated header, in the spec's names."""
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    sets, cmds, enums = {}, {}, {}
    for tag, body in re.findall(r"enum\s*(\w*)\s*\{(.*?)\};", text, flags=re.S):
        names, values, value = [], [], 0
        for m in re.finditer(r"(\w+)(?:\s*=\s*([^,]+))?\s*,", body):
            if m.group(1).startswith("__"):
                break
            value = int(m.group(2), 0) if m.group(2) else value
            names.append(m.group(1))
            values.append(value)
            value += 1
        prefix = os.path.commonprefix(names)
        prefix = prefix[:prefix.rfind("_") + 1]
        entries = {n[len(prefix):].lower().replace("_", "-"): v for n, v in zip(names, values)}
        if tag:
            enums[tag[len("iscsi_ini_"):].replace("_", "-")] = {v: k for k, v in entries.items()}
        elif prefix == "ISCSI_INI_CMD_":
            cmds = entries
        elif prefix == "ISCSI_INI_A_":
            sets["iscsi-ini"] = entries
        else:
            sets[prefix[len("ISCSI_INI_A_"):].rstrip("_").lower().replace("_", "-")] = entries
    for set_name, attrs in sets.items():
        missing = set(attrs) - set(ATTR_TYPES.get(set_name, {}))
        if missing:
            sys.exit(f"nlclient: no type known for {set_name} attributes {sorted(missing)}; update ATTR_TYPES")
    return sets, cmds, enums


def nla(attr_type, payload):
    hdr = struct.pack("HH", 4 + len(payload), attr_type)
    return hdr + payload + b"\0" * (-len(payload) % 4)


def parse_nlas(data):
    attrs, off = [], 0
    while off + 4 <= len(data):
        length, attr_type = struct.unpack_from("HH", data, off)
        if length < 4:
            break
        attrs.append((attr_type & ~NLA_F_NESTED, data[off + 4:off + length]))
        off += (length + 3) & ~3
    return attrs


class GenlSocket:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.bind((0, 0))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.seq = int(time.time()) & 0xffff

    def request(self, family_id, cmd, payload, flags=NLM_F_REQUEST | NLM_F_ACK, version=1):
        """Sends one request; returns the payloads (after the genl header) of the replies."""
        self.seq += 1
        body = struct.pack("BBH", cmd, version, 0) + payload
        self.sock.send(struct.pack("IHHII", 16 + len(body), family_id, flags, self.seq, 0) + body)
        replies = []
        while True:
            data = self.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, msg_type, msg_flags, seq, _ = struct.unpack_from("IHHII", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if seq != self.seq:
                    continue
                if msg_type == NLMSG_ERROR:
                    code = -struct.unpack_from("i", msg)[0]
                    if code:
                        raise NetlinkError(code, self._extack(msg, msg_flags))
                    return replies
                if msg_type == NLMSG_DONE:
                    return replies
                replies.append(msg[4:])

    def _extack(self, msg, msg_flags):
        """The extack message, and the missing attribute's number as "missing attribute N"."""
        if not msg_flags & NLM_F_ACK_TLVS:
            return ""
        # error code, then the request's nlmsghdr (payload capped by NETLINK_CAP_ACK), then TLVs
        parts = []
        for attr_type, value in parse_nlas(msg[4 + 16:]):
            if attr_type == NLMSGERR_ATTR_MSG:
                parts.append(value.rstrip(b"\0").decode(errors="replace"))
            elif attr_type == NLMSGERR_ATTR_MISS_TYPE:
                parts.append(f"missing attribute {self.attr_name(struct.unpack('I', value)[0])}")
        return "; ".join(parts)

    def attr_name(self, attr_id):
        return str(attr_id)

    def resolve(self, name):
        """The family id and its multicast groups {name: id}."""
        replies = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, nla(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        family_id, groups = None, {}
        for attr_type, value in parse_nlas(replies[0]):
            if attr_type == CTRL_ATTR_FAMILY_ID:
                family_id = struct.unpack("H", value[:2])[0]
            elif attr_type == CTRL_ATTR_MCAST_GROUPS:
                for _, group in parse_nlas(value):
                    fields = dict(parse_nlas(group))
                    groups[fields[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                        struct.unpack("I", fields[CTRL_ATTR_MCAST_GRP_ID])[0]
        return family_id, groups


class Family:
    """The iscsi_ini family: encodes and decodes attributes by their spec names."""

    def __init__(self):
        self.sets, self.cmds, self.enums = read_uapi()
        self.nl = GenlSocket()
        names = {v: k for k, v in self.sets["iscsi-ini"].items()}
        self.nl.attr_name = lambda attr_id: names.get(attr_id, str(attr_id))
        try:
            self.id, self.groups = self.nl.resolve(FAMILY)
        except NetlinkError as e:
            if e.code == errno.ENOENT:
                sys.exit("nlclient: the iscsi_ini family is not registered (module not loaded)")
            raise

    def encode(self, attrs, set_name="iscsi-ini"):
        out = b""
        for name, value in attrs.items():
            attr_type = ATTR_TYPES[set_name][name]
            attr_id = self.sets[set_name][name]
            if attr_type in SCALARS:
                out += nla(attr_id, struct.pack(SCALARS[attr_type], int(value, 0) if isinstance(value, str) else value))
            elif attr_type == "string":
                out += nla(attr_id, value.encode() + b"\0")
            elif attr_type == "binary":
                out += nla(attr_id, bytes.fromhex(value) if isinstance(value, str) else value)
            else:
                raise ValueError(f"cannot send attribute {name} of type {attr_type}")
        return out

    def decode(self, data, set_name="iscsi-ini"):
        names = {v: k for k, v in self.sets[set_name].items()}
        out = {}
        for attr_id, value in parse_nlas(data):
            name = names.get(attr_id, f"attr{attr_id}")
            attr_type = ATTR_TYPES[set_name].get(name, "binary")
            if attr_type == "pad":
                continue
            if attr_type in SCALARS:
                out[name] = struct.unpack(SCALARS[attr_type], value[:struct.calcsize(SCALARS[attr_type])])[0]
            elif attr_type == "string":
                out[name] = value.rstrip(b"\0").decode(errors="replace")
            elif attr_type.startswith("nest:") and name in MULTI:
                out.setdefault(name, {})[str(len(out.get(name, {})))] = self.decode(value, attr_type[5:])
            elif attr_type.startswith("nest:"):
                out[name] = self.decode(value, attr_type[5:])
            else:
                out[name] = value.hex()
        return out

    def do(self, op, attrs=None):
        replies = self.nl.request(self.id, self.cmds[op], self.encode(attrs or {}))
        return [self.decode(r) for r in replies]

    def dump(self, op):
        replies = self.nl.request(self.id, self.cmds[op], b"", NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)
        return [self.decode(r) for r in replies]

    def listen(self, count, timeout, announce=False):
        """Yields (event name, attributes) from the events group; with announce, says "listening"
        on stderr once subscribed, so that a caller can start the action whose events it wants."""
        self.nl.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, self.groups["events"])
        if announce:
            print("listening", file=sys.stderr, flush=True)
        cmd_names = {v: k for k, v in self.cmds.items()}
        deadline = time.monotonic() + timeout
        seen = 0
        while seen < count:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.nl.sock], [], [], left)[0]:
                return
            data = self.nl.sock.recv(1 << 20)
            off = 0
            while off + 16 <= len(data):
                length, msg_type = struct.unpack_from("IH", data, off)
                msg = data[off + 16:off + length]
                off += (length + 3) & ~3
                if msg_type == self.id:
                    seen += 1
                    yield cmd_names.get(msg[0], str(msg[0])), self.decode(msg[4:])

    def describe(self, attrs, prefix=""):
        lines = []
        for name, value in attrs.items():
            if isinstance(value, dict):
                lines += self.describe(value, f"{prefix}{name}.")
                continue
            if name == "state" and value in self.enums.get("session-state", {}):
                value = self.enums["session-state"][value]
            lines.append(f"{prefix}{name}={value}")
        return lines


# iSCSI login (RFC 7143 sections 6 and 11.12), just enough for LIO with AuthMethod=None.

OP_LOGIN_REQ, OP_LOGIN_RSP, OP_IMMEDIATE = 0x03, 0x23, 0x40
FLAG_TRANSIT = 0x80
STAGE_SECURITY, STAGE_OPERATIONAL, STAGE_FULL_FEATURE = 0, 1, 3


class LoginError(Exception):
    pass


# How much slower this guest runs than the plain bed (tools/vm/run exports it; a debug kernel is
# several times slower): waits stretch by it, protocol timers do not.
TIME_SCALE = float(os.environ.get("VM_TIMEOUT_SCALE") or 1)


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise LoginError("target closed the connection during login")
        data += chunk
    return data


class Login:
    def __init__(self, sock, isid, initiator, target, cid=0):
        self.sock = sock
        self.isid = isid
        self.initiator = initiator
        self.target = target
        self.cid = cid
        self.cmd_sn = 1
        self.exp_stat_sn = 0
        self.tsih = 0

    def exchange(self, csg, nsg, keys):
        data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in keys.items())
        bhs = struct.pack(">BBBBB3s6sHIHHII16x", OP_LOGIN_REQ | OP_IMMEDIATE, FLAG_TRANSIT | csg << 2 | nsg,
                          0, 0, 0, len(data).to_bytes(3, "big"), self.isid, self.tsih, 0, self.cid, 0,
                          self.cmd_sn, self.exp_stat_sn)
        self.sock.sendall(bhs + data + b"\0" * (-len(data) % 4))
        rsp = recv_exact(self.sock, 48)
        opcode, flags = rsp[0] & 0x3f, rsp[1]
        ahs_len, dlen = rsp[4] * 4, int.from_bytes(rsp[5:8], "big")
        body = recv_exact(self.sock, ahs_len + dlen + (-dlen % 4))[ahs_len:ahs_len + dlen]
        if opcode != OP_LOGIN_RSP:
            raise LoginError(f"expected a login response, got opcode 0x{opcode:02x}")
        tsih = struct.unpack_from(">H", rsp, 14)[0]
        stat_sn, exp_cmd_sn, max_cmd_sn = struct.unpack_from(">III", rsp, 24)
        status = rsp[36] << 8 | rsp[37]
        if status:
            raise LoginError(f"login failed: status 0x{status:04x}")
        self.exp_stat_sn = stat_sn + 1
        self.tsih = tsih
        self.exp_cmd_sn, self.max_cmd_sn = exp_cmd_sn, max_cmd_sn
        answer = {}
        for pair in body.split(b"\0"):
            if b"=" in pair:
                k, v = pair.decode().split("=", 1)
                answer[k] = v
        return flags, answer

    def run(self, offer):
        flags, _ = self.exchange(STAGE_SECURITY, STAGE_OPERATIONAL, {
            "InitiatorName": self.initiator, "TargetName": self.target, "SessionType": "Normal",
            "AuthMethod": "None"})
        if not flags & FLAG_TRANSIT:
            raise LoginError("target did not leave the security stage (does it want CHAP?)")
        answer = {}
        keys = dict(offer)
        for _ in range(4):
            flags, part = self.exchange(STAGE_OPERATIONAL, STAGE_FULL_FEATURE, keys)
            answer.update(part)
            if flags & FLAG_TRANSIT and flags & 0x3 == STAGE_FULL_FEATURE:
                self.cmd_sn = self.exp_cmd_sn
                return answer
            keys = {}
        raise LoginError("target did not reach the full feature phase")


def yes_no(value):
    return 1 if value == "Yes" else 0


def login(fam, args):
    host, port = args.portal.rsplit(":", 1)
    sock = socket.create_connection((host.strip("[]"), int(port)), timeout=10 * TIME_SCALE)
    offer = {
        "HeaderDigest": "CRC32C" if args.header_digest == "crc32c" else "None",
        "DataDigest": "CRC32C" if args.data_digest == "crc32c" else "None",
        "MaxConnections": "1", "InitialR2T": "Yes" if args.initial_r2t == "yes" else "No",
        "ImmediateData": "Yes" if args.immediate_data == "yes" else "No",
        "MaxRecvDataSegmentLength": str(args.max_recv), "MaxBurstLength": str(args.max_burst),
        "FirstBurstLength": str(args.first_burst), "DefaultTime2Wait": "2", "DefaultTime2Retain": "0",
        "MaxOutstandingR2T": str(args.max_r2t), "DataPDUInOrder": "Yes", "DataSequenceInOrder": "Yes",
        "ErrorRecoveryLevel": "0",
    }
    lg = Login(sock, bytes.fromhex(args.isid), args.initiator, args.target)
    ans = lg.run(offer)
    if args.show_keys:
        for key, value in ans.items():
            print(f"key {key}={value}")
    # what the target answered wins; a key it left out keeps our offer (RFC 7143 section 6.2.1:
    # a result our offer already decides, like ImmediateData=No, needs no answer), and its
    # MaxRecvDataSegmentLength, a declaration, the RFC default
    def result(key):
        return ans.get(key, offer[key])

    params = {
        "max-recv-dlength": args.max_recv,
        "max-xmit-dlength": int(ans.get("MaxRecvDataSegmentLength", 8192)),
        "first-burst-length": int(result("FirstBurstLength")),
        "max-burst-length": int(result("MaxBurstLength")),
        "initial-r2t": yes_no(result("InitialR2T")),
        "immediate-data": yes_no(result("ImmediateData")),
        "max-outstanding-r2t": int(result("MaxOutstandingR2T")),
        "header-digest": 1 if result("HeaderDigest") == "CRC32C" else 0,
        "data-digest": 1 if result("DataDigest") == "CRC32C" else 0,
        "data-pdu-in-order": yes_no(result("DataPDUInOrder")),
        "data-sequence-in-order": yes_no(result("DataSequenceInOrder")),
        "erl": int(result("ErrorRecoveryLevel")),
    }
    session_id = args.session
    if session_id is None:
        attrs = {"target-name": args.target, "initiator-name": args.initiator, "isid": lg.isid,
                 "tsih": lg.tsih, "portal": args.portal, "cmds-max": args.cmds_max,
                 "replacement-timeout": args.replacement_timeout, "noop-interval": args.noop_interval,
                 "noop-timeout": args.noop_timeout, **params}
        reply = fam.do("session-new", attrs)[0]
        session_id = reply["session-id"]
    fam.do("conn-bind", {"session-id": session_id, "cid": lg.cid, "sock-fd": sock.fileno(),
                         "exp-stat-sn": lg.exp_stat_sn, "cmd-sn": lg.cmd_sn, "exp-cmd-sn": lg.exp_cmd_sn,
                         "max-cmd-sn": lg.max_cmd_sn})
    sock.close()  # the kernel holds its own reference now
    info = fam.do("session-get", {"session-id": session_id})[0]
    print(f"session-id={session_id}")
    print(f"host-no={info['host-no']}")
    for name, value in params.items():
        print(f"{name}={value}")
    if args.wait_disk:
        print(f"disk={wait_disk(info['host-no'], args.wait_disk)}")


def wait_disk(host_no, count, timeout=60):
    """The session's disks once the LUN scan has made count of them, as /dev paths."""
    timeout *= TIME_SCALE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        disks = sorted(glob.glob(f"/sys/class/scsi_host/host{host_no}/device/target*/*/block/*"),
                       key=lambda p: int(p.split("/")[-3].split(":")[-1]))
        if len(disks) >= count:
            return " ".join("/dev/" + os.path.basename(d) for d in disks)
        time.sleep(0.2)
    raise LoginError(f"host{host_no}: fewer than {count} disks after {timeout} s")


def parse_attr_args(pairs):
    attrs = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        attrs[name] = value
    return attrs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="the module's interface version")
    p = sub.add_parser("do", help="send an operation")
    p.add_argument("op")
    p.add_argument("attrs", nargs="*", metavar="NAME=VALUE")
    p = sub.add_parser("dump", help="dump an operation")
    p.add_argument("op")
    p = sub.add_parser("listen", help="print events")
    p.add_argument("--count", type=int, default=1 << 30)
    p.add_argument("--timeout", type=float, default=3600)
    p = sub.add_parser("login", help="log in to a target and hand the socket to the kernel")
    p.add_argument("--target", required=True)
    p.add_argument("--portal", default="127.0.0.1:3260")
    p.add_argument("--initiator", default="iqn.2026-11.org.example.iscsi-ini:nlclient")
    p.add_argument("--isid", default="800000000001", help="6 bytes in hex (default %(default)s)")
    p.add_argument("--session", type=int, help="bind to this existing session (recovery)")
    p.add_argument("--header-digest", choices=["none", "crc32c"], default="none")
    p.add_argument("--data-digest", choices=["none", "crc32c"], default="none")
    p.add_argument("--initial-r2t", choices=["yes", "no"], default="yes")
    p.add_argument("--immediate-data", choices=["yes", "no"], default="yes")
    p.add_argument("--first-burst", type=int, default=65536)
    p.add_argument("--max-burst", type=int, default=262144)
    p.add_argument("--max-recv", type=int, default=262144)
    p.add_argument("--max-r2t", type=int, default=1)
    p.add_argument("--cmds-max", type=int, default=128)
    p.add_argument("--replacement-timeout", type=int, default=120)
    p.add_argument("--noop-interval", type=int, default=5)
    p.add_argument("--noop-timeout", type=int, default=5)
    p.add_argument("--show-keys", action="store_true", help="print the target's login answer")
    p.add_argument("--wait-disk", type=int, default=0, metavar="N", help="wait for N disks and print them")
    args = ap.parse_args()

    fam = Family()
    try:
        if args.command == "version":
            print("\n".join(fam.describe(fam.do("version-get")[0])))
        elif args.command == "do":
            replies = fam.do(args.op, parse_attr_args(args.attrs))
            print("\n\n".join("\n".join(fam.describe(r)) for r in replies))
        elif args.command == "dump":
            print("\n\n".join("\n".join(fam.describe(r)) for r in fam.dump(args.op)))
        elif args.command == "listen":
            for name, attrs in fam.listen(args.count, args.timeout, announce=True):
                print("\n".join([f"event={name}"] + fam.describe(attrs)) + "\n", flush=True)
        elif args.command == "login":
            login(fam, args)
    except NetlinkError as e:
        print(f"nlclient: {e}", file=sys.stderr)
        return 1
    except (LoginError, OSError) as e:
        print(f"nlclient: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
