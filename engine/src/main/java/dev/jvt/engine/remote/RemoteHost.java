package dev.jvt.engine.remote;

import com.jcraft.jsch.ChannelDirectStreamLocal;
import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpException;
import dev.jvt.engine.JvtException;
import dev.jvt.engine.Retry;
import dev.jvt.engine.Timeouts;
import dev.jvt.engine.qemu.ProcessLauncher;
import dev.jvt.engine.qemu.QemuProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A KVM host reached over SSH (JSch), on which a scenario's QEMU processes run with the command line
 * jvt builds locally, rewritten ({@link #prepare}):
 * <ul>
 *   <li>boot files, CD-ROMs and disk images are uploaded once, by content, to
 *       {@code ~/.cache/jvt/files/<sha256>} (a temporary name renamed when complete, so a half upload
 *       is never trusted); overlays are created there with {@code qemu-img};</li>
 *   <li>every UNIX socket QEMU would connect to (monitor, console, command port, switch ports)
 *       becomes a socket QEMU listens on in a 0700 run folder on the remote ({@code mktemp -d}), and jvt
 *       connects to it through a {@code direct-streamlocal@openssh.com} channel, bridged to the
 *       local socket jvt listens on: nothing listens on TCP;</li>
 *   <li>QEMU is started under a watchdog shell ({@link #WRAPPER}) that kills it with SIGKILL when the
 *       exec channel's stdin reaches EOF: jvt closed it, or the SSH connection died with jvt.</li>
 * </ul>
 *
 * <p>Address: {@code ssh://user@host[:port][?identity=FILE&known_hosts=FILE]}. Without parameters,
 * OpenSSH's own files are used: {@code ~/.ssh/known_hosts} (the host's key must be there; it is never
 * accepted unseen) and {@code ~/.ssh/id_ed25519}, {@code id_ecdsa}, {@code id_rsa}.
 */
public final class RemoteHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RemoteHost.class);

    /**
     * The watchdog around one QEMU: QEMU's stdin is /dev/null, its output goes to the channel; fd 3
     * keeps the channel's stdin, whose EOF (jvt closed it, or sshd closed the session because the
     * connection died) makes the watcher kill QEMU. QEMU's exit status becomes the channel's.
     */
    static final String WRAPPER = "exec 3<&0; \"$@\" </dev/null & q=$!; echo \"jvt-qemu-pid $q\" >&2; "
            + "( cat <&3 >/dev/null; kill -KILL $q 2>/dev/null ) & w=$!; exec 3<&-; "
            + "wait $q; rc=$?; kill -KILL $w 2>/dev/null; exit $rc";

    private static final Pattern SOCKET_CHARDEV = Pattern.compile("^socket,id=([^,]+),path=([^,]+)$");
    private static final Pattern STREAM_NETDEV = Pattern.compile("^(stream,id=[^,]+),server=off,addr.type=unix,addr.path=([^,]+)$");
    private static final Pattern FILE_OPT = Pattern.compile("(?<=(?:^|,)file=)((?:[^,]|,,)+)");

    private final String address;
    private final String user;
    private final String hostName;
    private final int port;
    private final Path identity;
    private final Path knownHosts;
    private final Session session;
    private final String home;
    private final String runDir;
    private final ChannelExec keeper;
    private final OutputStream keeperIn;
    private final Map<String, String> uploaded = new ConcurrentHashMap<>();
    private final Map<String, String> binaries = new ConcurrentHashMap<>();
    private final AtomicLong uploadedBytes = new AtomicLong();
    private final AtomicLong uploadedFiles = new AtomicLong();
    private final AtomicLong keptFiles = new AtomicLong();
    private volatile Boolean kvm;
    private volatile String kvmDetail;

    private RemoteHost(String address) {
        this.address = address;
        URI uri;
        try {
            uri = new URI(address);
        } catch (URISyntaxException e) {
            throw JvtException.badInput("host '" + address + "' is not an address like ssh://user@kvmhost: " + e.getMessage());
        }
        if (!"ssh".equals(uri.getScheme()) || uri.getHost() == null || uri.getUserInfo() == null) {
            throw JvtException.badInput("host '" + address + "' is not an address like ssh://user@kvmhost[:port]");
        }
        user = uri.getUserInfo();
        hostName = uri.getHost();
        port = uri.getPort() < 0 ? 22 : uri.getPort();
        Map<String, String> q = query(uri.getRawQuery());
        Path sshDir = Path.of(System.getProperty("user.home"), ".ssh");
        knownHosts = q.containsKey("known_hosts") ? Path.of(q.get("known_hosts")) : sshDir.resolve("known_hosts");
        if (q.containsKey("identity")) {
            identity = Path.of(q.get("identity"));
        } else {
            identity = List.of("id_ed25519", "id_ecdsa", "id_rsa").stream().map(sshDir::resolve).filter(Files::isReadable).findFirst().orElse(null);
        }
        session = connect();
        try {
            home = exec("printf %s \"$HOME\"").trim();
            // the run folder lives as long as this connection: the keeper removes it when its stdin ends
            keeper = (ChannelExec) session.openChannel("exec");
            keeper.setCommand("d=$(mktemp -d /tmp/jvt-r-XXXXXXXX) && chmod 0700 \"$d\" && echo \"$d\" && cat >/dev/null; rm -rf \"$d\"");
            InputStream out = keeper.getInputStream();
            keeperIn = keeper.getOutputStream();
            keeper.connect((int) Timeouts.scaled(Duration.ofSeconds(10)).toMillis());
            runDir = readLine(out);
            if (runDir == null || !runDir.startsWith("/tmp/jvt-r-")) {
                throw JvtException.infrastructure(this + ": cannot create a run folder (mktemp -d /tmp/jvt-r-XXXXXXXX)");
            }
            exec("mkdir -p \"$HOME/.cache/jvt/files\" && chmod 0700 \"$HOME/.cache/jvt\"");
        } catch (JSchException | IOException e) {
            session.disconnect();
            throw JvtException.infrastructure(this + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            session.disconnect();
            throw e;
        }
        LOG.info("remote host {}: connected, run folder {}", this, runDir);
    }

    /** Connects to {@code address} ({@code ssh://user@host[:port][?identity=…&known_hosts=…]}). */
    public static RemoteHost connect(String address) {
        return new RemoteHost(address);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new LinkedHashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int i = kv.indexOf('=');
                String k = i < 0 ? kv : kv.substring(0, i);
                if (!k.equals("identity") && !k.equals("known_hosts")) {
                    throw JvtException.badInput("host address: unknown parameter '" + k + "' (known: identity, known_hosts)");
                }
                m.put(k, URLDecoder.decode(i < 0 ? "" : kv.substring(i + 1), StandardCharsets.UTF_8));
            }
        }
        return m;
    }

    private Session connect() {
        JSch jsch = new JSch();
        try {
            if (!Files.isReadable(knownHosts)) {
                throw JvtException.prerequisite(this + ": no known_hosts file " + knownHosts + " to check the host's key against"
                        + " (ssh " + user + "@" + hostName + " once, or ssh-keyscan -p " + port + " " + hostName + " >> " + knownHosts + ")");
            }
            jsch.setKnownHosts(knownHosts.toString());
            if (identity == null) {
                throw JvtException.prerequisite(this + ": no SSH key (~/.ssh/id_ed25519, id_ecdsa or id_rsa); give one: " + address
                        + (address.contains("?") ? "&" : "?") + "identity=FILE");
            }
            if (!Files.isReadable(identity)) {
                throw JvtException.prerequisite(this + ": the SSH key " + identity + " cannot be read");
            }
            jsch.addIdentity(identity.toString());
            Session s = jsch.getSession(user, hostName, port);
            s.setConfig("StrictHostKeyChecking", "yes");
            s.setConfig("PreferredAuthentications", "publickey");
            s.setServerAliveInterval(5000);
            s.setServerAliveCountMax(3);
            s.connect((int) Timeouts.scaled(Duration.ofSeconds(15)).toMillis());
            return s;
        } catch (JSchException e) {
            String m = String.valueOf(e.getMessage());
            String why = m.contains("Auth fail") || m.contains("Auth cancel") ? "authentication failed for " + user + " with key " + identity
                    : m.contains("reject HostKey") || m.contains("HostKey has been changed") || m.contains("UnknownHostKey")
                    ? (known(jsch) ? "its host key is not the one in " + knownHosts + " (" + m + ")"
                    : "its host key is not in " + knownHosts + " (jvt never accepts a host key unseen: ssh-keyscan -p " + port + " " + hostName + " >> " + knownHosts + ", after checking it)")
                    : "cannot connect: " + m;
            throw JvtException.infrastructure(this + ": " + why, e);
        }
    }

    /** Whether known_hosts holds any key for this host. */
    private boolean known(JSch jsch) {
        String name = port == 22 ? hostName : "[" + hostName + "]:" + port;
        com.jcraft.jsch.HostKey[] keys = jsch.getHostKeyRepository().getHostKey(name, null);
        return keys != null && keys.length > 0;
    }

    @Override
    public String toString() {
        return "host " + user + "@" + hostName + (port == 22 ? "" : ":" + port);
    }

    /** The 0700 folder of this connection on the remote host (removed when the connection ends). */
    public String runDir() {
        return runDir;
    }

    public long uploadedFiles() {
        return uploadedFiles.get();
    }

    public long uploadedBytes() {
        return uploadedBytes.get();
    }

    // ------------------------------------------------------------------ exec

    /** Runs {@code command} on the host; its stdout, or an infrastructure failure with its stderr. */
    public String exec(String command) {
        ExecResult r = run(command);
        if (r.status != 0) {
            throw JvtException.infrastructure(this + ": `" + command + "` exited with " + r.status + ": " + r.err.trim());
        }
        return r.out;
    }

    record ExecResult(int status, String out, String err) {
    }

    ExecResult run(String command) {
        try {
            ChannelExec ch = (ChannelExec) session.openChannel("exec");
            ch.setCommand(command);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ch.setErrStream(err);
            InputStream in = ch.getInputStream();
            ch.connect((int) Timeouts.scaled(Duration.ofSeconds(10)).toMillis());
            byte[] out = in.readAllBytes();
            while (!ch.isClosed()) {
                Thread.sleep(2);
            }
            int status = ch.getExitStatus();
            ch.disconnect();
            return new ExecResult(status, new String(out, StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (JSchException | IOException e) {
            throw JvtException.infrastructure(this + ": cannot run `" + command + "`: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.infrastructure(this + ": interrupted", e);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            b.append((char) c);
        }
        return c < 0 && b.length() == 0 ? null : b.toString();
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    // ------------------------------------------------------------------ QEMU, KVM

    /** The path of {@code qemu-system-<arch>} on the host; exit 3 with the install command when it is missing. */
    public String qemu(String arch) {
        return binaries.computeIfAbsent("qemu-system-" + arch, b -> {
            ExecResult r = run("command -v " + b);
            if (r.status != 0 || r.out.isBlank()) {
                throw JvtException.prerequisite(this + ": " + b + " is not installed there (on Debian or Ubuntu: apt-get install qemu-system-"
                        + (arch.equals("x86_64") || arch.equals("i386") ? "x86" : arch.equals("aarch64") ? "arm" : "misc") + ")");
            }
            return r.out.trim();
        });
    }

    private String qemuImg() {
        return binaries.computeIfAbsent("qemu-img", b -> {
            ExecResult r = run("command -v qemu-img");
            if (r.status != 0 || r.out.isBlank()) {
                throw JvtException.prerequisite(this + ": qemu-img is not installed there (on Debian or Ubuntu: apt-get install qemu-utils)");
            }
            return r.out.trim();
        });
    }

    /**
     * Whether KVM works on the host: {@code /dev/kvm} writable and {@code kernel} (a remote path)
     * printing its "Linux version" line under {@code -accel kvm} within 5 s (a nested host that opens
     * /dev/kvm yet hangs guests says no). Asked once per connection.
     */
    public synchronized boolean kvmWorks(String qemu, String kernel) {
        if (kvm == null) {
            // the answer is kept there per boot of the host, QEMU binary and kernel, like KvmProbe's here
            String key = Integer.toHexString((qemu + " " + kernel).hashCode());
            ExecResult r = run("[ -w /dev/kvm ] || { echo 'no writable /dev/kvm'; exit 1; }; "
                    + "f=\"$HOME/.cache/jvt/kvm-$(cat /proc/sys/kernel/random/boot_id)-" + key + "\"; [ -f \"$f\" ] && { cat \"$f\"; exit 0; }; "
                    + "if timeout 5 " + quote(qemu)
                    + " -nodefaults -no-user-config -display none -accel kvm -m 128 -kernel " + quote(kernel)
                    + " -append 'console=ttyS0' -serial stdio -no-reboot 2>&1 | grep -q -m1 'Linux version'; then echo kvm-ok >\"$f\"; "
                    + "else echo 'no kernel output under KVM within 5 s' >\"$f\"; fi; cat \"$f\"");
            kvm = r.out.contains("kvm-ok");
            kvmDetail = kvm ? "a kernel boots under KVM" : r.out.isBlank() ? "no answer" : r.out.trim();
            LOG.info("{}: KVM {} ({})", this, kvm ? "works" : "does not work", kvmDetail);
        }
        return kvm;
    }

    public String kvmDetail() {
        return kvmDetail;
    }

    // ------------------------------------------------------------------ uploads

    /**
     * {@code local} on the host as {@code ~/.cache/jvt/files/<sha256>}, uploaded unless a file of
     * that name is there already; {@code note} hears "uploaded …" or "kept …".
     */
    public String upload(Path local, Consumer<String> note) {
        String hash = dev.jvt.engine.BootCache.fileHash(local);
        String remote = home + "/.cache/jvt/files/" + hash;
        if (uploaded.containsKey(hash)) {
            return remote;
        }
        synchronized (uploaded) {
            if (uploaded.containsKey(hash)) {
                return remote;
            }
            ChannelSftp sftp = null;
            try {
                sftp = (ChannelSftp) session.openChannel("sftp");
                sftp.connect((int) Timeouts.scaled(Duration.ofSeconds(10)).toMillis());
                boolean there;
                try {
                    there = sftp.stat(remote).getSize() == Files.size(local);
                } catch (SftpException e) {
                    there = false;
                }
                if (there) {
                    keptFiles.incrementAndGet();
                    note.accept("kept " + local + " (" + hash.substring(0, 12) + ", already on the host)");
                } else {
                    long t0 = System.nanoTime();
                    String part = remote + ".part-" + Long.toHexString(System.nanoTime());
                    try (InputStream in = Files.newInputStream(local)) {
                        sftp.put(in, part);
                    }
                    sftp.rename(part, remote);
                    long size = Files.size(local);
                    uploadedBytes.addAndGet(size);
                    uploadedFiles.incrementAndGet();
                    note.accept(String.format("uploaded %s (%s, %d bytes) in %.2f s", local, hash.substring(0, 12), size, (System.nanoTime() - t0) / 1e9));
                }
                uploaded.put(hash, remote);
                return remote;
            } catch (JSchException | SftpException | IOException e) {
                throw JvtException.infrastructure(this + ": cannot upload " + local + ": " + e.getMessage(), e);
            } finally {
                if (sftp != null) {
                    sftp.disconnect();
                }
            }
        }
    }

    /** Puts {@code local} at {@code remote} (a file of the run folder) unless it is there already. */
    private void uploadOnce(Path local, String remote) {
        ChannelSftp sftp = null;
        try {
            sftp = (ChannelSftp) session.openChannel("sftp");
            sftp.connect((int) Timeouts.scaled(Duration.ofSeconds(10)).toMillis());
            try {
                sftp.stat(remote);
                return;
            } catch (SftpException e) {
                // not there yet
            }
            sftp.put(local.toString(), remote);
        } catch (JSchException | SftpException e) {
            throw JvtException.infrastructure(this + ": cannot upload " + local + ": " + e.getMessage(), e);
        } finally {
            if (sftp != null) {
                sftp.disconnect();
            }
        }
    }

    // ------------------------------------------------------------------ command line

    /** A command line for the host, and the bridges to open once QEMU runs: remote socket → local socket. */
    public record Prepared(List<String> command, Map<String, Path> bridges) {
    }

    /**
     * Rewrites {@code cmd} (built for this machine with its sockets in {@code localSockets} and its
     * disks in {@code localWork}) for the host: see the class comment. Refuses what cannot run there.
     */
    public Prepared prepare(String machine, List<String> cmd, Path localWork, Path localSockets, String arch, Consumer<String> note) {
        String mdir = runDir + "/" + machine;
        String sdir = mdir + "/" + localSockets.getFileName();
        exec("mkdir -p " + quote(sdir));
        List<String> out = new ArrayList<>();
        Map<String, Path> bridges = new LinkedHashMap<>();
        out.add(qemu(arch));
        for (int i = 1; i < cmd.size(); i++) {
            String a = cmd.get(i);
            String prev = cmd.get(i - 1);
            if (prev.equals("-kernel") || prev.equals("-initrd") || prev.equals("-bios")) {
                out.add(upload(Path.of(a), note));
                continue;
            }
            if (prev.equals("-incoming") || a.startsWith("memory-backend-file") || a.equals("-gdb") || a.equals("-s")) {
                throw JvtException.badInput(machine + ": '" + prev + " " + a + "' cannot be used on a remote host (boot cache, migration and the gdb stub need host files)");
            }
            Matcher m = SOCKET_CHARDEV.matcher(a);
            if (prev.equals("-chardev") && m.matches()) {
                Path local = Path.of(m.group(2));
                String remote = sdir + "/" + local.getFileName();
                bridges.put(remote, local);
                // QEMU waits for jvt's connection before it goes on, so no early byte is lost
                out.add("socket,id=" + m.group(1) + ",path=" + remote + ",server=on,wait=on");
                continue;
            }
            if (prev.equals("-chardev") && a.startsWith("pipe,")) {
                throw JvtException.badInput(machine + ": --deterministic and --record cannot run on a remote host yet");
            }
            if (prev.equals("-qmp")) {
                throw JvtException.badInput(machine + ": --record cannot run on a remote host yet");
            }
            Matcher n = STREAM_NETDEV.matcher(a);
            if (prev.equals("-netdev") && n.matches()) {
                Path local = Path.of(n.group(2));
                String remote = sdir + "/net-" + bridges.size() + ".sock";
                bridges.put(remote, local);
                out.add(n.group(1) + ",server=on,addr.type=unix,addr.path=" + remote);
                continue;
            }
            if (prev.equals("-netdev") && a.startsWith("user,") && a.contains("hostfwd=")) {
                throw JvtException.badInput(machine + ": forward (user-mode NAT host ports) cannot be used on a remote host yet");
            }
            if (prev.equals("-drive")) {
                out.add(remoteDrive(machine, a, localWork, mdir, note));
                continue;
            }
            out.add(a);
        }
        return new Prepared(out, bridges);
    }

    private String remoteDrive(String machine, String drive, Path localWork, String mdir, Consumer<String> note) {
        Matcher m = FILE_OPT.matcher(drive);
        if (!m.find()) {
            return drive;
        }
        Path file = Path.of(m.group(1).replace(",,", ","));
        String remote;
        if (file.startsWith(localWork)) {
            String name = file.getFileName().toString();
            remote = mdir + "/" + name;
            String backing = backingFile(file);
            if (backing != null) {
                // an overlay of a user image: the image goes by content, the overlay is made there
                String base = upload(Path.of(backing), note);
                if (run("test -e " + quote(remote)).status != 0) {
                    exec(quote(qemuImg()) + " create -q -f qcow2 -F " + backingFormat(file) + " -b " + quote(base) + " " + quote(remote));
                }
            } else {
                uploadOnce(file, remote);
            }
        } else if (drive.contains("readonly=on")) {
            remote = upload(file, note);
        } else {
            throw JvtException.badInput(machine + ": a disk written in place (overlay: false) cannot be used on a remote host: " + file);
        }
        return drive.substring(0, m.start()) + remote.replace(",", ",,") + drive.substring(m.end());
    }

    private static String backingFile(Path qcow2) {
        String[] info = qemuImgInfo(qcow2);
        return info[0];
    }

    private static String backingFormat(Path qcow2) {
        String f = qemuImgInfo(qcow2)[1];
        return f == null ? "raw" : f;
    }

    private static String[] qemuImgInfo(Path qcow2) {
        try {
            Process p = new ProcessBuilder("qemu-img", "info", "--output=json", qcow2.toString()).redirectErrorStream(true).start();
            String json = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
            String b = node.path("full-backing-filename").asText(node.path("backing-filename").asText(null));
            String f = node.path("backing-filename-format").asText(null);
            return new String[]{b == null || b.isEmpty() ? null : b, f};
        } catch (IOException e) {
            throw JvtException.infrastructure("qemu-img info " + qcow2 + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw JvtException.infrastructure("interrupted", e);
        }
    }

    // ------------------------------------------------------------------ processes and bridges

    /**
     * Starts {@code prepared} on the host under the watchdog, its output appended to {@code log}, and
     * opens its bridges (each retried until QEMU listens). The process counts among jvt's children
     * ({@link ProcessLauncher#liveCount}) and is killed with them.
     */
    public QemuProcess start(Prepared prepared, Path log) {
        StringBuilder command = new StringBuilder("sh -c ").append(quote(WRAPPER)).append(" jvt-qemu");
        for (String a : prepared.command()) {
            command.append(' ').append(quote(a));
        }
        try {
            Files.createDirectories(log.getParent());
            ChannelExec ch = (ChannelExec) session.openChannel("exec");
            ch.setCommand(command.toString());
            OutputStream stdin = ch.getOutputStream();
            InputStream stdout = ch.getInputStream();
            InputStream stderr = ch.getExtInputStream();
            ch.connect((int) Timeouts.scaled(Duration.ofSeconds(10)).toMillis());
            List<AutoCloseable> bridges = new java.util.concurrent.CopyOnWriteArrayList<>();
            RemoteProcess p = new RemoteProcess(ch, stdin, stdout, stderr, log, bridges);
            ProcessLauncher.track(p);
            for (Map.Entry<String, Path> b : prepared.bridges().entrySet()) {
                Thread t = new Thread(() -> bridge(b.getKey(), b.getValue(), p, bridges), "jvt-remote-bridge-" + b.getValue().getFileName());
                t.setDaemon(true);
                t.start();
            }
            return QemuProcess.of(prepared.command(), log, p);
        } catch (JSchException | IOException e) {
            throw JvtException.infrastructure(this + ": cannot start QEMU: " + e.getMessage(), e);
        }
    }

    /** Connects {@code remote} (QEMU listens) to {@code local} (jvt listens) and pumps both ways until either closes. */
    private void bridge(String remote, Path local, RemoteProcess p, List<AutoCloseable> bridges) {
        ChannelDirectStreamLocal ch;
        try {
            ch = Retry.until("connecting to " + remote + " on " + this, Timeouts.MONITOR, Duration.ofMillis(10), last -> {
                if (!p.isAlive()) {
                    return null;
                }
                try {
                    ChannelDirectStreamLocal c = (ChannelDirectStreamLocal) session.openChannel("direct-streamlocal@openssh.com");
                    c.setSocketPath(remote);
                    c.connect((int) Timeouts.scaled(Duration.ofSeconds(5)).toMillis());
                    return c;
                } catch (JSchException e) {
                    return null;
                }
            }, gave -> JvtException.infrastructure(this + ": QEMU did not open " + remote + " within " + Timeouts.human(gave.timeout())));
        } catch (RuntimeException e) {
            LOG.debug("{}: no bridge to {}", this, remote, e);
            return;
        }
        try {
            SocketChannel sock = SocketChannel.open(UnixDomainSocketAddress.of(local));
            bridges.add(sock);
            bridges.add(ch::disconnect);
            if (!p.isAlive()) {
                // QEMU ended while this bridge was connecting: its exit closed the others already
                sock.close();
                ch.disconnect();
                return;
            }
            InputStream fromRemote = ch.getInputStream();
            OutputStream toRemote = ch.getOutputStream();
            Thread up = new Thread(() -> {
                ByteBuffer buf = ByteBuffer.allocate(65536);
                try {
                    while (sock.read(buf) >= 0) {
                        toRemote.write(buf.array(), 0, buf.position());
                        toRemote.flush();
                        buf.clear();
                    }
                } catch (IOException e) {
                    // closed
                }
                ch.disconnect();
            }, "jvt-remote-up-" + local.getFileName());
            up.setDaemon(true);
            up.start();
            byte[] buf = new byte[65536];
            int n;
            try (OutputStream toLocal = Channels.newOutputStream(sock)) {
                while ((n = fromRemote.read(buf)) >= 0) {
                    toLocal.write(buf, 0, n);
                }
            } catch (IOException e) {
                // closed
            }
            sock.close();
        } catch (IOException e) {
            LOG.debug("{}: bridge {} → {} ended", this, remote, local, e);
            ch.disconnect();
        }
    }

    /** Ends the connection: the watchdogs kill every QEMU still running, the keeper removes the run folder. */
    @Override
    public void close() {
        try {
            keeperIn.close();
        } catch (IOException e) {
            LOG.debug("{}: closing the keeper", this, e);
        }
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (!keeper.isClosed() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        session.disconnect();
    }

}
