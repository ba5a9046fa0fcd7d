#!/usr/bin/env python3
"""Probe (issue 13, P1): restoring a booted built-in guest from a file with QEMU 7.2, two ways.

    tools/probe-ignore-shared.py KERNEL INITRD [ROUNDS]

  stream:  guest RAM anonymous; the boot saved with `migrate exec:cat > state` (what jvt's boot
           cache does); a restore is `-incoming 'exec:cat state'`: QEMU reads all of it.
  shared:  guest RAM a file on /dev/shm (memory-backend-file share=on) while booting; saved with
           the x-ignore-shared capability (device state only); a clone maps the file share=off
           (MAP_PRIVATE: pages come on demand, a write copies one page) and loads the device state.

For each: seconds from QEMU's start to the guest running, to the first shell answer on the serial
console, the clone's RSS, the size of the saved files; and for `shared`, whether a write in one
clone is seen by another started from the same files (it must not be). A diagnostic, not part of jvt.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

QEMU = 'qemu-system-x86_64'


def qemu(work, kernel, initrd, extra, name):
    for s in ('qmp', 'serial'):
        p = os.path.join(work, name + '-' + s + '.sock')
        if os.path.exists(p):
            os.unlink(p)
    args = [QEMU, '-nodefaults', '-no-user-config', '-machine', 'pc,accel=tcg', '-m', '256', '-smp', '1',
            '-display', 'none', '-qmp', 'unix:%s/%s-qmp.sock,server=on,wait=off' % (work, name),
            '-chardev', 'socket,id=s,path=%s/%s-serial.sock,server=on,wait=off' % (work, name), '-serial', 'chardev:s',
            '-kernel', kernel, '-initrd', initrd, '-append', 'console=ttyS0 panic=-1 jvt.hostname=probe', '-no-reboot'] + extra
    t0 = time.monotonic()
    p = subprocess.Popen(args, stderr=open(os.path.join(work, name + '.log'), 'w'))
    for _ in range(500):
        if os.path.exists('%s/%s-qmp.sock' % (work, name)) and os.path.exists('%s/%s-serial.sock' % (work, name)):
            break
        time.sleep(0.002)
    q = socket.socket(socket.AF_UNIX)
    q.connect('%s/%s-qmp.sock' % (work, name))
    f = q.makefile('rw')
    f.readline()
    s = socket.socket(socket.AF_UNIX)
    s.connect('%s/%s-serial.sock' % (work, name))
    s.setblocking(False)

    def cmd(c, **a):
        f.write(json.dumps({'execute': c, 'arguments': a} if a else {'execute': c}) + '\n')
        f.flush()
        while True:
            r = json.loads(f.readline())
            if 'return' in r or 'error' in r:
                return r

    cmd('qmp_capabilities')
    return p, cmd, s, t0


def read_until(s, token, timeout):
    buf = b''
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            b = s.recv(65536)
            if b:
                buf += b
                if token in buf:
                    return buf
        except BlockingIOError:
            time.sleep(0.002)
    raise SystemExit('timed out waiting for %r; got %r' % (token, buf[-300:]))


def wait_migrated(cmd, status_from='inmigrate'):
    while cmd('query-status')['return']['status'] == status_from:
        time.sleep(0.002)


def rss_kb(pid):
    for line in open('/proc/%d/status' % pid):
        if line.startswith('VmRSS'):
            return int(line.split()[1])
    return 0


def main():
    kernel, initrd = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    work = tempfile.mkdtemp(prefix='jvt-probe-')
    ram = '/dev/shm/jvt-probe-%d.ram' % os.getpid()
    results = {}
    try:
        for mode in ('stream', 'shared'):
            mem = ['-object', 'memory-backend-file,id=mem0,size=256M,mem-path=%s,share=on' % ram, '-machine', 'memory-backend=mem0'] if mode == 'shared' else []
            p, cmd, s, _ = qemu(work, kernel, initrd, mem, mode + '-template')
            read_until(s, b'jvt: guest ready', 120)
            time.sleep(1)
            cmd('stop')
            if mode == 'shared':
                cmd('migrate-set-capabilities', capabilities=[{'capability': 'x-ignore-shared', 'state': True}])
            cmd('migrate-set-parameters', **{'max-bandwidth': 8 << 30})
            state = os.path.join(work, mode + '.state')
            cmd('migrate', uri='exec:cat > ' + state)
            while cmd('query-migrate')['return'].get('status') not in ('completed', 'failed'):
                time.sleep(0.005)
            cmd('quit')
            p.wait()
            size = os.path.getsize(state) + (os.path.getsize(ram) if mode == 'shared' else 0)
            running, answered, rss = [], [], []
            for i in range(rounds):
                clone_mem = ['-object', 'memory-backend-file,id=mem0,size=256M,mem-path=%s,share=off' % ram, '-machine', 'memory-backend=mem0'] if mode == 'shared' else []
                p, cmd, s, t0 = qemu(work, kernel, initrd, clone_mem + ['-incoming', 'defer'], mode + '-clone')
                if mode == 'shared':
                    cmd('migrate-set-capabilities', capabilities=[{'capability': 'x-ignore-shared', 'state': True}])
                cmd('migrate-incoming', uri='exec:cat ' + state)
                wait_migrated(cmd)
                cmd('cont')
                running.append(time.monotonic() - t0)
                s.sendall(b'echo probe-$((6*7))\n')
                read_until(s, b'probe-42', 30)
                answered.append(time.monotonic() - t0)
                rss.append(rss_kb(p.pid))
                if mode == 'shared' and i == 0:
                    s.sendall(b'echo written-by-clone-a > /tmp/clone-a\n')
                    time.sleep(0.5)
                if mode == 'shared' and i == 1:
                    s.sendall(b'cat /tmp/clone-a 2>&1 | sed s/^/seen:/\n')
                    out = read_until(s, b'seen:', 10)
                    time.sleep(0.3)
                    try:
                        out += s.recv(4096)
                    except BlockingIOError:
                        pass
                    results['isolation'] = 'a write of clone A is %s in clone B' % ('NOT seen' if b'written-by-clone-a' not in out.split(b'seen:', 1)[1] else 'SEEN')
                cmd('quit')
                p.wait()
            results[mode] = dict(to_running=statistics.median(running), to_answer=statistics.median(answered),
                                 rss_mb=statistics.median(rss) / 1024, saved_mb=size / 1e6)
            print(mode, json.dumps(results[mode]), flush=True)
        print('isolation:', results.get('isolation'))
        print('ratio stream/shared (start to the first answer): %.2f' % (results['stream']['to_answer'] / results['shared']['to_answer']))
    finally:
        if os.path.exists(ram):
            os.unlink(ram)
        subprocess.run(['rm', '-rf', work])


if __name__ == '__main__':
    main()
