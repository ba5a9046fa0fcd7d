package dev.jvt.engine.net;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.Machine;
import dev.jvt.engine.events.Action;
import dev.jvt.engine.events.Events;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A network of a scenario (SPEC §1–2): a virtual switch every NIC on it connects to, a packet
 * capture, and the faults tests put on it — {@code partition}, {@code heal}, {@code link},
 * {@code loss}, {@code delay}. Faults take effect on the next frame the switch handles.
 *
 * <p>Machines are named by their handle or their name. Start a network before the machines on it:
 * {@link #attach} opens a listening port that the machine's QEMU connects to.
 */
public final class Network implements AutoCloseable {
    private final String name;
    private final String subnet;
    private final Path sockets;
    private final Events events;
    private final Switch sw;
    /** (machine, MAC) to port, in attach order. */
    private final Map<String, Switch.Port> ports = new LinkedHashMap<>();
    private Faults faults = Faults.NONE;
    private boolean closed;

    private Network(String name, String subnet, Path sockets, Events events, Switch sw) {
        this.name = name;
        this.subnet = subnet;
        this.sockets = sockets;
        this.events = events;
        this.sw = sw;
    }

    /**
     * Starts the switch of network {@code name}; its capture goes to {@code pcap}, its sockets into
     * the private folder {@code sockets}.
     */
    public static Network start(String name, String subnet, Path pcap, Path sockets, Events events) {
        try {
            return new Network(name, subnet, sockets, events, new Switch(name, pcap));
        } catch (IOException e) {
            throw JvtException.infrastructure("network '" + name + "': cannot start its switch: " + e.getMessage(), e);
        }
    }

    public String getName() {
        return name;
    }

    /** The subnet in CIDR form, e.g. "10.0.1.0/24". */
    public String getSubnet() {
        return subnet;
    }

    /**
     * The packet capture of this network (pcap, link type Ethernet). Frames reach the file within
     * 10 ms; asking for the path writes out every frame captured so far first.
     */
    public Path getPcap() {
        sw.syncCapture();
        return sw.pcapFile();
    }

    /** The machines with a NIC on this network. */
    public synchronized List<String> getMachines() {
        Set<String> s = new LinkedHashSet<>();
        ports.values().forEach(p -> s.add(p.machine));
        return new ArrayList<>(s);
    }

    /**
     * The switch port for {@code machine}'s NIC with {@code mac}: a UNIX socket that listens when
     * this returns. The same machine and MAC get the same port again (a restarted machine).
     */
    public synchronized Path attach(String machine, String mac) {
        if (closed) {
            throw JvtException.infrastructure("network '" + name + "' is closed");
        }
        Switch.Port p = ports.get(machine + "/" + mac);
        if (p != null) {
            return p.path;
        }
        int index = ports.size();
        if (index >= Switch.MAX_PORTS) {
            throw JvtException.badInput("network '" + name + "': more than " + Switch.MAX_PORTS + " NICs");
        }
        try {
            p = sw.open(index, machine, sockets.resolve("net-" + name + "-" + index + ".sock"));
        } catch (IOException e) {
            throw JvtException.infrastructure("network '" + name + "': cannot open a switch port for " + machine + ": " + e.getMessage(), e);
        }
        ports.put(machine + "/" + mac, p);
        publish();
        return p.path;
    }

    // ------------------------------------------------------------------ faults

    /** Machines in {@code groupA} and in {@code groupB} can no longer reach each other (both ways). */
    public void partition(Object groupA, Object groupB) {
        Set<String> a = names(groupA);
        Set<String> b = names(groupB);
        for (String m : a) {
            if (b.contains(m)) {
                throw JvtException.badInput("network '" + name + "': partition: '" + m + "' is in both groups");
            }
        }
        Faults.Cut cut = new Faults.Cut(a, b);
        step(fault("partition").with("groups", cut).titled("partition " + cut), () -> set(faults.withCut(cut)));
    }

    /** Removes every fault: partitions, downed links, loss and delay. */
    public void heal() {
        step(fault("heal"), () -> set(Faults.NONE));
    }

    /** {@code lan.link(client, up: false)}: takes a machine's link on this network down or up again. */
    public void link(Map<String, ?> options, Object machine) {
        Object up = options.get("up");
        for (String k : options.keySet()) {
            if (!k.equals("up")) {
                throw JvtException.badInput("network '" + name + "': link: unknown option '" + k + "' (known: up)");
            }
        }
        if (!(up instanceof Boolean)) {
            throw JvtException.badInput("network '" + name + "': link needs up: true or up: false, e.g. " + name + ".link(client, up: false)");
        }
        link(machine, (Boolean) up);
    }

    public void link(Object machine, boolean up) {
        String m = single(machine);
        step(fault("link").with("link", m).with("up", up).titled("link " + m + (up ? " up" : " down")),
                () -> set(faults.withLink(m, up)));
    }

    /** Drops {@code percent} (0–100) of the frames at random; 0 turns it off. */
    public void loss(Number percent) {
        double p = percent == null ? -1 : percent.doubleValue();
        if (!(p >= 0 && p <= 100)) {
            throw JvtException.badInput("network '" + name + "': loss " + percent + " is not a percentage from 0 to 100");
        }
        step(fault("loss").with("percent", p).titled("loss " + p + "%"), () -> set(faults.withLoss(p)));
    }

    /** Holds every frame {@code ms} milliseconds in the switch; 0 turns it off. */
    public void delay(Number ms) {
        if (ms == null || ms.doubleValue() < 0) {
            throw JvtException.badInput("network '" + name + "': delay " + ms + " is not a number of milliseconds >= 0");
        }
        delay(Duration.ofNanos(Math.round(ms.doubleValue() * 1_000_000)));
    }

    public void delay(Duration d) {
        if (d.isNegative()) {
            throw JvtException.badInput("network '" + name + "': delay " + d + " is negative");
        }
        step(fault("delay").with("delay", d.toMillis() + " ms").titled("delay " + d.toMillis() + " ms"),
                () -> set(faults.withDelay(d)));
    }

    /** The faults in force; give them to {@link #restore} to put them back later (rewinding a test). */
    public synchronized Faults faults() {
        return faults;
    }

    /** The faults in force, as the property {@code lan.faults} of scripts. */
    public Faults getFaults() {
        return faults();
    }

    /** Puts back faults taken with {@link #faults()}, replacing the ones in force; no step of its own. */
    public void restore(Faults f) {
        set(Objects.requireNonNull(f, "faults"));
    }

    /**
     * When the switch's thread died since the last check: starts a new one and returns why the
     * network stopped forwarding frames (every frame meanwhile was lost); null while it works.
     */
    public JvtException checkSwitch() {
        Throwable f = sw.restartIfDead();
        return f == null ? null : JvtException.infrastructure("network '" + name + "': its switch stopped forwarding frames ("
                + f.getMessage() + "); frames sent meanwhile were lost; jvt restarted it for the next test", f);
    }

    /** Fault injection for jvt's own tests (FaultsSpec, jvt bench faults): the switch's thread dies. */
    public void crashSwitchForTest() {
        sw.crashThread();
    }

    /** How many NICs are connected to the switch now. */
    int connectedPorts() {
        return sw.connectedPorts();
    }

    /** Frames the switch received, forwarded and dropped (by faults, by loss, because a queue was full). */
    public Map<String, Long> stats() {
        Switch.Counters c = sw.counters();
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("received", c.received);
        m.put("forwarded", c.forwarded);
        m.put("droppedByFault", c.droppedByFault);
        m.put("droppedByLoss", c.droppedByLoss);
        m.put("droppedQueueFull", c.droppedQueueFull);
        m.put("malformed", c.malformed);
        return m;
    }

    private synchronized void set(Faults f) {
        faults = f;
        publish();
    }

    /** Compiles the faults for the switch's ports and hands them over. */
    private synchronized void publish() {
        Switch.Rules open = Switch.Rules.open();
        long[] reach = open.reach();
        List<Switch.Port> list = new ArrayList<>(ports.values());
        for (Switch.Port from : list) {
            long r = 0;
            for (Switch.Port to : list) {
                if (to != from && faults.allows(from.machine, to.machine)) {
                    r |= 1L << to.index;
                }
            }
            reach[from.index] = r;
        }
        sw.rules(new Switch.Rules(reach, (int) Math.round(faults.lossPercent() * 10_000),
                faults.delay().toNanos()));
    }

    /** A fault step on this network: its machine is the network. */
    private Action fault(String verb) {
        return Action.of(name, verb);
    }

    private void step(Action action, Runnable body) {
        if (events == null) {
            body.run();
        } else {
            events.step(action, body);
        }
    }

    private Set<String> names(Object group) {
        Set<String> s = new TreeSet<>();
        if (group instanceof Collection<?> c) {
            for (Object o : c) {
                s.add(single(o));
            }
        } else if (group instanceof Object[] arr) {
            for (Object o : arr) {
                s.add(single(o));
            }
        } else {
            s.add(single(group));
        }
        if (s.isEmpty()) {
            throw JvtException.badInput("network '" + name + "': partition needs machines in both groups, e.g. "
                    + name + ".partition(['server'], ['client'])");
        }
        return s;
    }

    private String single(Object machine) {
        String m = machine instanceof Machine mm ? mm.getName() : machine instanceof CharSequence cs ? cs.toString() : null;
        if (m == null) {
            throw JvtException.badInput("network '" + name + "': " + machine + " is not a machine or a machine's name");
        }
        List<String> on = getMachines();
        if (!on.contains(m)) {
            throw JvtException.badInput("network '" + name + "': machine '" + m + "' has no NIC on it (machines on "
                    + name + ": " + (on.isEmpty() ? "none" : String.join(", ", on)) + ")");
        }
        return m;
    }

    /** Stops the switch and finishes the capture. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        sw.close();
    }

    @Override
    public String toString() {
        return "network '" + name + "' (" + subnet + ")";
    }
}
