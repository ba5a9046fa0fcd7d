package dev.jvt.engine.net;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.MachineConfig;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A machine's NICs as QEMU arguments and kernel parameters: one {@code -netdev stream} client per
 * NIC on a jvt network (to the port its {@link Network} listens on), and QEMU user-mode NAT with
 * host port forwards. Host ports asked for as 0 are picked once, on the first start, and kept
 * across restarts.
 */
public final class MachineNetworking {
    /** What the machine adds to its QEMU command line and, for the built-in guest, its kernel command line. */
    public record Plan(List<String> qemuArgs, String kernelParams) {
    }

    private final MachineConfig config;
    private final String scenario;
    /** "tcp/22" to the host port chosen for it. */
    private final Map<String, Integer> hostPorts = new LinkedHashMap<>();

    public MachineNetworking(MachineConfig config, String scenario) {
        this.config = config;
        this.scenario = scenario;
    }

    /** The MAC of the NAT interface, stable for a scenario and machine. */
    public String natMac() {
        return Macs.derive(scenario + "/" + config.name() + "/nat");
    }

    /**
     * Attaches the machine's NICs to their networks (the switch ports listen when this returns)
     * and says how QEMU and the built-in guest are to use them.
     */
    public synchronized Plan plan(Map<String, Network> networks, boolean builtinGuest) {
        List<String> args = new ArrayList<>();
        List<String> params = new ArrayList<>();
        String rom = builtinGuest ? ",romfile=" : "";
        int i = 0;
        for (MachineConfig.Nic nic : config.nics()) {
            Network n = networks == null ? null : networks.get(nic.network());
            if (n == null) {
                throw JvtException.badInput("machine '" + config.name() + "': nic on network '" + nic.network()
                        + "', which is not declared (add: network '" + nic.network() + "')");
            }
            String id = "jvt-net" + i++;
            args.add("-netdev");
            args.add("stream,id=" + id + ",server=off,addr.type=unix,addr.path=" + n.attach(config.name(), nic.mac()));
            args.add("-device");
            args.add(device(nic.model()) + ",netdev=" + id + ",mac=" + nic.mac() + rom);
            params.add("jvt.nic=" + nic.mac() + "," + (nic.address() == null ? "none" : nic.address()));
        }
        if (config.nat()) {
            StringBuilder user = new StringBuilder("user,id=jvt-nat");
            for (MachineConfig.Forward f : config.forwards()) {
                int host = hostPort(f);
                user.append(",hostfwd=").append(f.protocol()).append(":127.0.0.1:").append(host).append("-:").append(f.guest());
            }
            args.add("-netdev");
            args.add(user.toString());
            args.add("-device");
            args.add("virtio-net-pci,netdev=jvt-nat,mac=" + natMac() + rom);
            params.add("jvt.nic=" + natMac() + ",dhcp");
        }
        return new Plan(args, String.join(" ", params));
    }

    private static String device(String model) {
        return model == null || model.equals("virtio") ? "virtio-net-pci" : model;
    }

    private int hostPort(MachineConfig.Forward f) {
        String key = f.protocol() + "/" + f.guest();
        Integer known = hostPorts.get(key);
        if (known != null) {
            return known;
        }
        int port = f.host() != 0 ? f.host() : freePort(f.protocol());
        hostPorts.put(key, port);
        return port;
    }

    /** The host port (on 127.0.0.1) forwarded to {@code guestPort} over TCP. */
    public int hostPort(int guestPort) {
        return hostPort(guestPort, "tcp");
    }

    public synchronized int hostPort(int guestPort, String protocol) {
        Integer p = hostPorts.get(protocol + "/" + guestPort);
        if (p != null) {
            return p;
        }
        for (MachineConfig.Forward f : config.forwards()) {
            if (f.guest() == guestPort && f.protocol().equals(protocol)) {
                if (f.host() != 0) {
                    return f.host();
                }
                throw JvtException.testFailure("machine '" + config.name() + "': the host port for guest port " + guestPort
                        + " is picked when the machine starts; it has not started yet");
            }
        }
        throw JvtException.badInput("machine '" + config.name() + "': no forward to guest port " + guestPort + "/" + protocol
                + " (add: forward host: 0, guest: " + guestPort + ")");
    }

    private int freePort(String protocol) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try {
            if (protocol.equals("udp")) {
                try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(lo, 0))) {
                    return s.getLocalPort();
                }
            }
            try (ServerSocket s = new ServerSocket(0, 1, lo)) {
                return s.getLocalPort();
            }
        } catch (IOException e) {
            throw JvtException.infrastructure("machine '" + config.name() + "': cannot find a free host port: " + e.getMessage(), e);
        }
    }
}
