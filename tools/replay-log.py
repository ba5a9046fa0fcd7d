#!/usr/bin/env python3
"""Lists the events of a QEMU 7.2 record/replay log (replay-N.bin of a jvt bundle).

    tools/replay-log.py LOG [FROM_ICOUNT [TO_ICOUNT]] [--all]

Prints one line per event between the two instruction counts: icount, file offset, event. By default
instruction-count, exception, warp-account checkpoint and character-write events are counted but
not listed; --all lists them too. The last line sums up the whole log. Written for the log format
of QEMU 7.2 (version 0xe0200c), whose event numbers were read off real logs: 0 instructions,
1 interrupt, 2 exception, 3..9 asynchronous events (bh, bh-oneshot, input, input-sync, char-read,
block, net), 10..21 shutdown (cause = n - 10), 22 char-write, 28/29 clock (host, virtual-rt),
30..38 checkpoints (warp-start, warp-account, reset-req, suspend-req, clock-virtual, clock-host,
clock-virtual-rt, init, reset), 39 end. Used to find where a stalled replay waits (compare with
the icount `query-replay` reports); a diagnostic, not part of jvt.
"""
import struct
import sys

ASYNC = {3: 'bh', 4: 'bh-oneshot', 5: 'input', 6: 'input-sync', 7: 'char-read', 8: 'block', 9: 'net'}
CHECKPOINTS = ['warp-start', 'warp-account', 'reset-requested', 'suspend-requested', 'clock-virtual',
               'clock-host', 'clock-virtual-rt', 'init', 'reset']


def main(argv):
    args = [a for a in argv if not a.startswith('--')]
    everything = '--all' in argv
    data = open(args[0], 'rb').read()
    lo = int(args[1]) if len(args) > 1 else 0
    hi = int(args[2]) if len(args) > 2 else 1 << 62
    version = struct.unpack('>I', data[0:4])[0]
    if version != 0xe0200c:
        sys.exit('not a QEMU 7.2 replay log (version %#x)' % version)
    pos, icount, counts = 12, 0, {}

    def take(n):
        nonlocal pos
        v = data[pos:pos + n]
        pos += n
        return v

    def dword():
        return struct.unpack('>I', take(4))[0]

    def qword():
        return struct.unpack('>q', take(8))[0]

    while pos < len(data):
        offset, e = pos, take(1)[0]
        quiet = False
        if e == 0:
            icount += dword()
            continue
        elif e in (1, 2):
            text, quiet = ('interrupt', False) if e == 1 else ('exception', True)
        elif e in ASYNC:
            kind = ASYNC[e]
            if kind in ('bh', 'bh-oneshot', 'block'):
                text = '%s id=%d' % (kind, qword())
            elif kind == 'char-read':
                dev = take(1)[0]
                text = 'char-read dev=%d %r' % (dev, take(dword()))
            elif kind == 'net':
                dev = take(1)[0]
                flags = dword()
                text = 'net dev=%d flags=%d %d bytes' % (dev, flags, len(take(dword())))
            else:
                sys.exit('input events are not decoded (offset %d)' % offset)
        elif 10 <= e <= 21:
            text = 'shutdown cause=%d' % (e - 10)
        elif e == 22:
            res, off = dword(), dword()
            text, quiet = 'char-write res=%d offset=%d' % (res, off), res == 1 and off == 1
        elif e in (28, 29):
            text = 'clock %s %d' % ('host' if e == 28 else 'virtual-rt', qword())
        elif 30 <= e <= 38:
            text, quiet = 'checkpoint ' + CHECKPOINTS[e - 30], e == 31
        elif e == 39:
            text = 'end'
        else:
            sys.exit('unknown event %d at offset %d (icount %d)' % (e, offset, icount))
        name = text.split(' ')[0] if not text.startswith('checkpoint') else text
        counts[name] = counts.get(name, 0) + 1
        if lo <= icount <= hi and (everything or not quiet):
            print(icount, offset, text)
    print('# %d bytes, %d instructions; %s' % (len(data), icount,
                                                 ', '.join('%s: %d' % kv for kv in sorted(counts.items()))))


if __name__ == '__main__':
    main(sys.argv[1:])
