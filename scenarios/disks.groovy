// Disks: user images behind a qcow2 overlay are never written; overlay: false writes through;
// scratch disks by size.
import java.nio.file.Files
import java.security.MessageDigest

def work = Files.createTempDirectory('jvt-disks')
def image = { String name ->
    def f = work.resolve(name)
    def p = ['qemu-img', 'create', '-q', '-f', 'raw', f.toString(), '8M'].execute()
    p.waitForProcessOutput(System.out, System.err)
    assert p.exitValue() == 0
    f
}
def sha256 = { Path f -> MessageDigest.getInstance('SHA-256').digest(Files.readAllBytes(f)).encodeHex().toString() }
def base = image('base.img')
def direct = image('direct.img')
def baseHash = sha256(base)

scenario('disks') {
    isolation 'sequential'        // a raw disk written through cannot be snapshotted
    machine('box') {
        disk base                          // /dev/vda, through a qcow2 overlay
        disk direct, overlay: false        // /dev/vdb, written in place
        disk size: '64M'                   // /dev/vdc, scratch
    }

    test('writing the overlaid disk leaves the image untouched') {
        box.succeed 'echo guest-was-here | dd of=/dev/vda bs=512 conv=sync && sync'
        assert box.succeed('dd if=/dev/vda bs=14 count=1 2>/dev/null') == 'guest-was-her'.padRight(13) + 'e'
        assert sha256(base) == baseHash
    }

    test('overlay false writes through to the image') {
        box.succeed 'echo written-through | dd of=/dev/vdb bs=512 conv=sync && sync'
        box.waitUntilSucceeds 'sync', 10
        assert new String(Files.readAllBytes(direct), 0, 15, 'US-ASCII') == 'written-through'
    }

    test('a scratch disk takes a file system') {
        box.succeed 'mke2fs -q /dev/vdc && mkdir -p /mnt/s && mount -t ext2 /dev/vdc /mnt/s'
        box.succeed 'echo hello > /mnt/s/f && sync'
        assert box.succeed('cat /mnt/s/f') == 'hello\n'
    }
}
