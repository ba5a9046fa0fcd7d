package dev.jvt.engine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A machine's block devices, prepared once per machine and kept across restarts:
 * <ul>
 *   <li>{@code jvt-state}: a small qcow2 that holds the vmstate of snapshots (savevm needs one);</li>
 *   <li>{@code disk0..}: virtio-blk disks — a user image behind a fresh qcow2 overlay (the image is
 *       never written), the image itself with {@code overlay: false}, or a scratch qcow2 by size;</li>
 *   <li>{@code cd0..}: IDE CD-ROM drives, read-only, for {@code change}/{@code eject}.</li>
 * </ul>
 */
record Storage(List<String> args) {

    /** @param image a built image's disk (qcow2), the machine's first disk behind an overlay; or null */
    static Storage prepare(MachineConfig config, Path work, boolean record, Path image) throws IOException {
        List<String> a = new ArrayList<>();
        if (record) {
            if (!config.disks().isEmpty() || !config.cdroms().isEmpty() || image != null) {
                throw JvtException.badInput("machine '" + config.name() + "': --record does not support disks or CD-ROMs yet");
            }
            return new Storage(List.of());
        }
        Path state = work.resolve("state.qcow2");
        dev.jvt.engine.image.QemuImg.run(List.of("create", "-q", "-f", "qcow2", state.toString(), "1M"));
        a.addAll(List.of("-drive", "if=none,id=jvt-state,format=qcow2,file=" + state));

        boolean bootDisk = config.boot().equals("disk");
        List<MachineConfig.Disk> disks = new ArrayList<>();
        if (image != null) {
            // the root file system, /dev/vda: never written, each machine writes its own overlay
            disks.add(new MachineConfig.Disk(image, "qcow2", true, null));
        }
        disks.addAll(config.disks());
        int i = 0;
        for (MachineConfig.Disk d : disks) {
            String id = "disk" + i;
            String file;
            String format;
            if (d.path() == null) {
                Path scratch = work.resolve(id + ".qcow2");
                dev.jvt.engine.image.QemuImg.run(List.of("create", "-q", "-f", "qcow2", scratch.toString(), d.size()));
                file = scratch.toString();
                format = "qcow2";
            } else if (d.overlay()) {
                Path overlay = work.resolve(id + "-overlay.qcow2");
                dev.jvt.engine.image.QemuImg.run(List.of("create", "-q", "-f", "qcow2", "-F", d.format(), "-b", d.path().toAbsolutePath().toString(),
                        overlay.toString()));
                file = overlay.toString();
                format = "qcow2";
            } else {
                file = d.path().toAbsolutePath().toString();
                format = d.format();
            }
            a.addAll(List.of("-drive", "if=none,id=" + id + ",format=" + format + ",file=" + file.replace(",", ",,"),
                    "-device", "virtio-blk-pci,drive=" + id + ",id=" + id + "-dev,serial=" + id
                            + (bootDisk && i == 0 ? ",bootindex=0" : "")));
            i++;
        }
        boolean bootCd = config.boot().equals("cdrom");
        int c = 0;
        for (Path cd : config.cdroms()) {
            String id = "cd" + c;
            a.addAll(List.of("-drive", "if=none,id=" + id + ",media=cdrom,readonly=on,format=raw,file="
                            + cd.toAbsolutePath().toString().replace(",", ",,"),
                    "-device", "ide-cd,drive=" + id + ",id=" + id + "-dev" + (bootCd && c == 0 ? ",bootindex=0" : "")));
            c++;
        }
        return new Storage(List.copyOf(a));
    }
}
