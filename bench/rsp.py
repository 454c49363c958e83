"""A raw GDB Remote Serial Protocol client for scripts/bench.

It connects to a server that was started on bench/fixtures/bigbuf.c (stopped
at its first instruction), does gdb's handshake (qSupported, QStartNoAckMode,
?), runs to ready() with a Z0 breakpoint and measures, with no gdb in the
way:

  g          round trip of a `g` (all registers)
  m 4 KiB    round trip of `mADDR,1000` (4096 bytes of the buffer)
  Z0/z0      insert + remove of a breakpoint in text (one pair)
  vCont;s    `vCont;s:TID` single step up to its stop reply
  bulk m     the whole buffer read with `m` at the largest size the server
             offers: (PacketSize - 4) / 2 bytes a request
  bulk x     the same with the binary `xADDR,LEN` packet (gdb 16, lldb) when
             the server answers it; else n/a

Standard library only. Standalone use, on a server already listening:

  python3 bench/rsp.py --port PORT --pid PID --exe PATH/TO/bigbuf
"""

import argparse
import re
import socket
import subprocess
import time

QSUPPORTED = (b"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;"
              b"vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;"
              b"xmlRegisters=i386")


class RspError(Exception):
    pass


class Rsp:
    def __init__(self, port, timeout, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(timeout)
        self.buf = bytearray()
        self.chunk = bytearray(1 << 20)
        self.view = memoryview(self.chunk)
        self.ack = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self):
        # Into a buffer allocated once: recv(1 MiB) would allocate (and
        # page-fault) a fresh megabyte for every reply, some 50 us.
        n = self.sock.recv_into(self.chunk)
        if not n:
            raise RspError("connection closed by the server")
        self.buf += self.view[:n]

    def send(self, payload):
        csum = sum(payload) & 0xFF
        self.sock.sendall(b"$%s#%02x" % (payload, csum))
        if self.ack:
            while True:
                while not self.buf:
                    self._fill()
                c = self.buf[0]
                del self.buf[0]
                if c == ord("+"):
                    break
                if c == ord("-"):
                    self.sock.sendall(b"$%s#%02x" % (payload, csum))
                    continue
                raise RspError("expected an ack, got %r" % bytes([c]))

    def recv(self):
        """One packet's payload, run-length encoding expanded (binary data is
        left escaped: see unescape)."""
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    break
            self._fill()
        payload = bytes(self.buf[start + 1:end])
        del self.buf[:end + 3]
        if self.ack:
            self.sock.sendall(b"+")
        if b"*" in payload:
            payload = re.sub(rb"(.)\*(.)", lambda m: m.group(1) * (m.group(2)[0] - 28),
                             payload, flags=re.S)
        return payload

    def cmd(self, payload):
        self.send(payload)
        return self.recv()


def unescape(data):
    if b"}" not in data:
        return data
    out = bytearray()
    i = 0
    while i < len(data):
        j = data.find(b"}", i)
        if j < 0:
            out += data[i:]
            break
        out += data[i:j]
        out.append(data[j + 1] ^ 0x20)
        i = j + 2
    return bytes(out)


def xorshift_prefix(nbytes):
    """The first nbytes of bigbuf.c's pattern."""
    out = bytearray()
    x = 2463534242
    while len(out) < nbytes:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += x.to_bytes(4, "little")
    return bytes(out[:nbytes])


def symbols(exe):
    out = subprocess.run(["nm", exe], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms


def load_base(pid, exe):
    import os
    real = os.path.realpath(exe)
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5] == real and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16)
    raise RspError("no mapping of %s in /proc/%d/maps" % (real, pid))


def expect_ok(reply, what):
    if reply != b"OK":
        raise RspError("%s: expected OK, got %r" % (what, reply[:200]))


def expect_stop(reply, what):
    if not reply[:1] in (b"T", b"S"):
        raise RspError("%s: expected a stop reply, got %r" % (what, reply[:200]))


def stop_pc(reply):
    m = re.search(rb"(?:^T..|;)10:([0-9a-f]{16});", reply)
    return int.from_bytes(bytes.fromhex(m.group(1).decode()), "little") if m else None


def handshake(c):
    """gdb's opening: qSupported, QStartNoAckMode, ?. Returns the features."""
    c.sock.sendall(b"+")
    feats = c.cmd(QSUPPORTED)
    if b"QStartNoAckMode+" in feats:
        expect_ok(c.cmd(b"QStartNoAckMode"), "QStartNoAckMode")
        c.ack = False
    expect_stop(c.cmd(b"?"), "?")
    return feats


def kill(c, pid):
    try:
        c.sock.settimeout(5)
        c.send(b"vKill;%x" % pid)
        c.recv()
    except (OSError, RspError):
        pass


def probe(port, pid, timeout=30.0):
    """The server's qSupported and vCont? replies; kills the program."""
    c = Rsp(port, timeout)
    try:
        feats = handshake(c)
        vcont = c.cmd(b"vCont?")
        kill(c, pid)
    finally:
        c.close()
    return feats.decode(errors="replace"), vcont.decode(errors="replace")


def run(port, pid, exe, counts, timeout=60.0):
    """Runs every measurement; returns a dict of results (times in seconds
    per operation, rates in MB/s, plus informational keys)."""
    syms = symbols(exe)
    base = load_base(pid, exe)
    ready = base + syms["ready"]
    spin = base + syms["spin"]
    res = {}
    c = Rsp(port, timeout)
    try:
        feats = handshake(c)
        m = re.search(rb"PacketSize=([0-9a-fA-F]+)", feats)
        if not m:
            raise RspError("no PacketSize in the qSupported reply %r" % feats)
        packet_size = int(m.group(1), 16)
        res["packet_size"] = packet_size

        # Run to ready(buf, size).
        expect_ok(c.cmd(b"Z0,%x,1" % ready), "Z0 at ready")
        stop = c.cmd(b"vCont;c")
        expect_stop(stop, "vCont;c to ready")
        pc = stop_pc(stop)
        if pc is not None and pc != ready:
            raise RspError("stopped at %#x, expected ready() at %#x: %r" % (pc, ready, stop[:200]))
        expect_ok(c.cmd(b"z0,%x,1" % ready), "z0 at ready")
        m = re.search(rb"thread:([^;]+);", stop)
        if not m:
            raise RspError("no thread in the stop reply %r" % stop[:200])
        tid = m.group(1)

        def read_u64(addr):
            r = c.cmd(b"m%x,8" % addr)
            if len(r) != 16:
                raise RspError("m of 8 bytes at %#x: %r" % (addr, r[:100]))
            return int.from_bytes(bytes.fromhex(r.decode()), "little")

        buf = read_u64(base + syms["buf"])
        size = read_u64(base + syms["size"])
        res["size"] = size

        # g
        n = counts["g"]
        r = c.cmd(b"g")
        res["g_bytes"] = len(r) // 2
        t0 = time.perf_counter()
        for _ in range(n):
            r = c.cmd(b"g")
        res["g_s"] = (time.perf_counter() - t0) / n
        if len(r) < 2 or r[:1] == b"E":
            raise RspError("g: %r" % r[:100])

        # m of 4 KiB
        n = counts["m4k"]
        want = xorshift_prefix(4096)
        r = c.cmd(b"m%x,1000" % buf)
        if bytes.fromhex(r.decode()) != want:
            raise RspError("m of 4 KiB: %d bytes back, or not the fixture's pattern" % (len(r) // 2))
        t0 = time.perf_counter()
        for _ in range(n):
            r = c.cmd(b"m%x,1000" % buf)
        res["m4k_s"] = (time.perf_counter() - t0) / n

        # Z0/z0 pairs
        n = counts["z0"]
        t0 = time.perf_counter()
        for _ in range(n):
            a = c.cmd(b"Z0,%x,1" % spin)
            b = c.cmd(b"z0,%x,1" % spin)
        res["z0_pair_s"] = (time.perf_counter() - t0) / n
        expect_ok(a, "Z0 in spin")
        expect_ok(b, "z0 in spin")

        # vCont;s
        n = counts["step"]
        step = b"vCont;s:" + tid
        t0 = time.perf_counter()
        for _ in range(n):
            r = c.cmd(step)
            if r[:3] not in (b"T05", b"S05"):
                raise RspError("%s: %r" % (step.decode(), r[:200]))
        res["vcont_s_s"] = (time.perf_counter() - t0) / n

        # Bulk m at the largest size offered.
        chunk = (packet_size - 4) // 2
        res["m_chunk"] = chunk
        got_total = 0
        smallest = chunk
        t0 = time.perf_counter()
        addr, end = buf, buf + size
        while addr < end:
            ln = min(chunk, end - addr)
            r = c.cmd(b"m%x,%x" % (addr, ln))
            got = len(r) // 2
            if got == 0 or r[:1] == b"E":
                raise RspError("m%x,%x: %r" % (addr, ln, r[:100]))
            smallest = min(smallest, got) if addr + got < end else smallest
            addr += got
            got_total += got
        res["bulk_m_mb_per_s"] = size / (time.perf_counter() - t0) / 1e6
        res["m_reply_bytes"] = smallest

        # Bulk x, when answered.
        r = c.cmd(b"x%x,10" % buf)
        if r == b"" or r[:1] == b"E":
            res["x_support"] = "no (reply %r)" % r[:20].decode(errors="replace")
        else:
            if r[:1] == b"b" and len(unescape(r[1:])) == 16:
                strip = 1  # gdb 16: 'b' then the data
            elif len(unescape(r)) == 16:
                strip = 0  # lldb: the data alone
            else:
                raise RspError("x%x,10: unexpected reply %r" % (buf, r[:100]))
            if unescape(r[strip:]) != want[:16]:
                raise RspError("x%x,10: not the fixture's pattern: %r" % (buf, r[:100]))
            res["x_support"] = "yes"
            chunk = packet_size - 8
            t0 = time.perf_counter()
            addr = buf
            while addr < end:
                ln = min(chunk, end - addr)
                r = c.cmd(b"x%x,%x" % (addr, ln))
                got = len(unescape(r[strip:]))
                if got == 0 or (strip and r[:1] != b"b"):
                    raise RspError("x%x,%x: %r" % (addr, ln, r[:100]))
                addr += got
            res["bulk_x_mb_per_s"] = size / (time.perf_counter() - t0) / 1e6

        # End: kill the program; the server (--once) exits.
        kill(c, pid)
    finally:
        c.close()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--exe", required=True)
    ap.add_argument("--count", type=int, default=2000)
    a = ap.parse_args()
    n = a.count
    for k, v in run(a.port, a.pid, a.exe, {"g": n, "m4k": n, "z0": n // 2, "step": n}).items():
        print(k, v)


if __name__ == "__main__":
    main()
