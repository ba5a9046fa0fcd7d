package dev.jvt.engine.replay

import dev.jvt.engine.JvtException
import org.apache.commons.compress.archivers.tar.TarArchiveEntry
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.file.Files
import java.nio.file.Path

/**
 * A replay bundle is input from elsewhere: no manifest field, recorded command line or archive
 * entry becomes a host path outside the bundle (or the replay's private folder) unchecked. Each
 * refusal is bad input (exit 2) naming the manifest and the field or the entry.
 */
class BundlePathsSpec extends Specification {
    @TempDir Path tmp

    def cleanup() {
        // before the temp folder goes: its removal would follow a link out of it
        Files.walk(tmp).withCloseable { s -> s.filter { Files.isSymbolicLink(it) }.toList() }.each { Files.delete(it) }
    }

    Path bundle() {
        Path b = Files.createDirectories(tmp.resolve('bundle'))
        Files.createDirectories(b.resolve('machines/s/m'))
        Files.writeString(b.resolve('machines/s/m/console-1.log'), 'hello\n')
        Files.createDirectories(b.resolve('images'))
        Files.writeString(b.resolve('images/abc-vmlinuz'), 'kernel')
        b
    }

    /** A recorded command line as Recorder writes it, ${BUNDLE} and ${WORK} put in. */
    static List<String> argv(Path b, Path w) {
        ['qemu-system-x86_64', '-name', 'jvt-m,debug-threads=on', '-nodefaults', '-machine', 'pc',
         '-qmp', "unix:$w/qmp.sock,server=on,wait=off", '-chardev', "pipe,id=jvt-serial,path=$w/serial",
         '-icount', "shift=4,rr=replay,rrfile=$b/machines/s/m/replay-1.bin",
         '-netdev', "stream,id=jvt-net0,server=off,addr.type=unix,addr.path=$w/scenario/net-lan-0.sock",
         '-kernel', "$b/images/abc-vmlinuz", '-append', 'console=ttyS0 root=/dev/vda jvt.nic=52:54:00:00:00:01,10.0.1.1/24',
         '-sandbox', 'on,obsolete=deny', '-no-reboot']*.toString()
    }

    static void writeManifest(Path b, Map segment) {
        Map s = [scenario: 's', machine: 'm', key: 's/m', index: 1, argv: ['qemu-system-x86_64'], log: 'machines/s/m/replay-1.bin',
                 transcript: 'machines/s/m/console-1.log', timeline: null, icount: 1, seconds: 1.0, qemuVersion: 'x', sha256: [:]] + segment
        Files.writeString(b.resolve(Bundle.MANIFEST), groovy.json.JsonOutput.toJson([version: Bundle.VERSION, segments: [s]]))
    }

    def "a manifest's own files are accepted where they are"() {
        given:
        Path b = bundle()
        writeManifest(b, [:])

        expect:
        Bundle.read(b).size() == 1
        BundlePaths.inside(b, 'machines/s/m/console-1.log', b.resolve('manifest.json'), 'field') == b.resolve('machines/s/m/console-1.log')
    }

    def "a manifest field naming #named is refused with exit 2, naming the manifest and the field"() {
        given:
        Path b = bundle()
        Files.writeString(tmp.resolve('secret'), 'not yours')
        Files.createSymbolicLink(b.resolve('machines/s/m/link.log'), tmp.resolve('secret'))
        Files.createSymbolicLink(b.resolve('escape'), tmp)
        writeManifest(b, [(field): named])

        when:
        Bundle.read(b)

        then:
        JvtException e = thrown()
        e.kind().exitCode == 2
        e.message.contains(b.resolve('manifest.json').toString())
        e.message.contains("field '$field'")
        e.message.contains(why)
        e.message.endsWith('refused')

        where:
        field        | named                        | why
        'transcript' | '../secret'                  | 'outside the bundle'
        'transcript' | 'machines/../../secret'      | 'outside the bundle'
        'transcript' | '/etc/passwd'                | 'absolute path'
        'timeline'   | 'machines/s/m/link.log'      | 'through a symbolic link'
        'log'        | 'escape/secret'              | 'through a symbolic link'
        'transcript' | ''                           | 'is empty'
    }

    def "a sha256 key outside the bundle is refused too"() {
        given:
        Path b = bundle()
        writeManifest(b, [sha256: ['../../etc/shadow': '00']])

        when:
        Bundle.read(b)

        then:
        JvtException e = thrown()
        e.kind().exitCode == 2
        e.message.contains("field 'sha256'")
    }

    def "a recorded command line as jvt writes it passes"() {
        given:
        Path b = bundle()
        Path w = Files.createDirectories(tmp.resolve('work'))

        when:
        BundlePaths.checkArgv(b, w, argv(b, w), b.resolve('manifest.json'), "field 'argv'")

        then:
        noExceptionThrown()
    }

    def "a recorded command line with #what is refused"() {
        given:
        Path b = bundle()
        Path w = Files.createDirectories(tmp.resolve('work'))
        Files.createSymbolicLink(b.resolve('images/shadow'), Path.of('/etc/shadow'))
        List<String> a = argv(b, w)
        a.addAll(extra.collect { it.replace('BUNDLE', b.toString()).replace('WORK', w.toString()) })

        when:
        BundlePaths.checkArgv(b, w, first ? [first] + a.tail() : a, b.resolve('manifest.json'), "segment 1 field 'argv'")

        then:
        JvtException e = thrown()
        e.kind().exitCode == 2
        e.message.contains("segment 1 field 'argv'")
        e.message.contains(why)

        where:
        what                          | first        | extra                                                     | why
        'a host disk'                 | null         | ['-drive', 'file=/dev/sda,format=raw']                    | 'neither in the bundle'
        'a file via ..'               | null         | ['-kernel', 'BUNDLE/../secret']                           | 'neither in the bundle'
        'a link out of the bundle'    | null         | ['-initrd', 'BUNDLE/images/shadow']                       | 'symbolic link'
        'a relative file'             | null         | ['-kernel', 'vmlinuz']                                    | 'relative'
        'exec: migration'             | null         | ['-incoming', 'exec:sh -c evil']                          | 'exec:'
        'a netdev script'             | null         | ['-netdev', 'tap,id=t,script=/tmp/evil.sh']               | 'neither in the bundle'
        'a netdev helper'             | null         | ['-netdev', 'bridge,id=t,helper=/usr/lib/qemu/bridge']    | 'helper='
        'a chardev writing a file'    | null         | ['-chardev', 'file,id=f,path=/root/.bashrc']              | 'neither in the bundle'
        'a monitor socket elsewhere'  | null         | ['-monitor', 'unix:/tmp/open.sock,server=on']             | 'neither in the bundle'
        'a plugin (host code)'        | null         | ['-plugin', 'BUNDLE/images/evil.so']                      | 'never has'
        'more options from a file'    | null         | ['--readconfig', 'BUNDLE/images/more.cfg']                | 'never has'
        'another user'                | null         | ['-runas', 'nobody']                                      | 'never has'
        'a binary of its own'         | '/bin/sh'    | []                                                        | 'qemu-system-ARCH'
        'a relative binary'           | 'x/qemu-system-x86_64' | []                                              | 'qemu-system-ARCH'
    }

    Path archive(Closure entries) {
        Path f = tmp.resolve('bundle.tar.gz')
        new TarArchiveOutputStream(new GzipCompressorOutputStream(Files.newOutputStream(f))).withCloseable { tar ->
            entries(tar)
        }
        f
    }

    static void file(TarArchiveOutputStream tar, String name, String text) {
        TarArchiveEntry e = new TarArchiveEntry(name, true)
        byte[] b = text.bytes
        e.size = b.length
        tar.putArchiveEntry(e)
        tar.write(b)
        tar.closeArchiveEntry()
    }

    static void link(TarArchiveOutputStream tar, String name, String target, byte flag) {
        TarArchiveEntry e = new TarArchiveEntry(name, flag)
        e.linkName = target
        tar.putArchiveEntry(e)
        tar.closeArchiveEntry()
    }

    def "an archive of plain files and folders unpacks"() {
        given:
        Path a = archive { tar -> file(tar, 'replay/manifest.json', '{}'); file(tar, 'replay/machines/s/m/console-1.log', 'x') }
        Path into = Files.createDirectories(tmp.resolve('into'))

        when:
        Replayer.unpack(a, into)

        then:
        Files.readString(into.resolve('replay/machines/s/m/console-1.log')) == 'x'
    }

    def "an archive entry that is #what is refused with exit 2, naming it, and nothing lands outside"() {
        given:
        Path a = archive(entries)
        Path into = Files.createDirectories(tmp.resolve('into'))

        when:
        Replayer.unpack(a, into)

        then:
        JvtException e = thrown()
        e.kind().exitCode == 2
        e.message.contains(a.toString())
        e.message.contains(why)
        !Files.exists(tmp.resolve('evil'))

        where:
        what                 | entries                                                                             | why
        'a ../ path'         | { tar -> file(tar, '../evil', 'x') }                                                 | "'..'"
        'a nested ../ path'  | { tar -> file(tar, 'replay/../../evil', 'x') }                                       | "'..'"
        'an absolute path'   | { tar -> file(tar, '/tmp/evil', 'x') }                                               | 'absolute'
        'a symbolic link'    | { tar -> link(tar, 'replay/images/k', '/etc/shadow', TarArchiveEntry.LF_SYMLINK) }  | 'symbolic link'
        'a hard link'        | { tar -> link(tar, 'replay/images/k', '/etc/shadow', TarArchiveEntry.LF_LINK) }     | 'hard link'
        'a device'           | { tar -> link(tar, 'replay/dev', '', TarArchiveEntry.LF_CHR) }                      | 'neither a file nor a folder'
    }
}
