// Removable media: the guest mounts an ISO, the test changes the medium, the guest reads the new one.
import java.nio.file.Files

def work = Files.createTempDirectory('jvt-media')
def iso = { String name, String content ->
    def dir = Files.createDirectories(work.resolve(name))
    dir.resolve('label.txt').toFile().text = content
    def out = work.resolve(name + '.iso')
    def p = ['genisoimage', '-quiet', '-V', name.toUpperCase(), '-o', out.toString(), dir.toString()].execute()
    p.waitForProcessOutput(System.out, System.err)
    assert p.exitValue() == 0: "genisoimage failed (sudo apt-get install -y genisoimage)"
    out
}
def first = iso('first', 'the first disc')
def second = iso('second', 'the second disc')

scenario('removable media') {
    machine('box') {
        cdrom first
    }

    test('the guest reads the CD, then the medium is changed and it reads the new one') {
        box.succeed 'mkdir -p /mnt/cd && mount -t iso9660 -o ro /dev/sr0 /mnt/cd'
        assert box.succeed('cat /mnt/cd/label.txt') == 'the first disc'
        box.succeed 'umount /mnt/cd'

        box.change 'cd0', second
        assert box.monitor('info block').contains(second.fileName.toString())
        // the first read after a medium change fails once (unit attention): retry
        box.waitUntilSucceeds 'mount -t iso9660 -o ro /dev/sr0 /mnt/cd', 30
        assert box.succeed('cat /mnt/cd/label.txt') == 'the second disc'
        box.succeed 'umount /mnt/cd'
    }

    test('eject leaves the drive empty') {
        box.eject 'cd0'
        box.waitUntilFails 'dd if=/dev/sr0 of=/dev/null bs=2048 count=1', 30
    }
}
