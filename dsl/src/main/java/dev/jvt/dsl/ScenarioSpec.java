package dev.jvt.dsl;

import dev.jvt.engine.JvtException;
import dev.jvt.engine.MachineConfig;
import dev.jvt.engine.net.Subnet;
import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The keywords of a {@code scenario} block. Each hands its values to the definition. */
public final class ScenarioSpec {
    private final ScenarioDefinition def;

    ScenarioSpec(ScenarioDefinition def) {
        this.def = def;
    }

    /** A virtual switch; 10.0.N.0/24 unless {@code subnet} says otherwise. */
    public void network(String name) {
        network(Map.of(), name);
    }

    public void network(Map<String, ?> options, String name) {
        checkName(name, "network");
        def.networks().put(name, new ScenarioDefinition.NetworkDefinition(name, subnetOption(options, name),
                Locations.callerLine(def.file())));
    }

    /** The {@code subnet} option of network {@code name}'s declaration, null when absent; any other option is an error. */
    public static String subnetOption(Map<String, ?> options, String name) {
        for (String k : options.keySet()) {
            if (!k.equals("subnet")) {
                throw new DslException("network '" + name + "': unknown option '" + k + "' (known: subnet)");
            }
        }
        Object subnet = options.get("subnet");
        return subnet == null ? null : subnet.toString();
    }

    /** The subnet of the {@code n}th network (from 1): {@code subnet} when given, else 10.0.n.0/24. */
    public static Subnet subnet(String name, String subnet, int n) {
        return subnet(name, subnet, n, -1);
    }

    private static Subnet subnet(String name, String subnet, int n, int line) {
        try {
            return Subnet.parse(subnet == null ? "10.0." + n + ".0/24" : subnet);
        } catch (JvtException e) {
            throw new DslException(line, "network '" + name + "': " + e.getMessage());
        }
    }

    /** Declares a machine. */
    public void machine(String name, @DelegatesTo(value = MachineSpec.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        checkName(name, "machine");
        MachineConfig config = new MachineConfig(name);
        MachineSpec spec = new MachineSpec(config, def);
        Closure<?> c = body.rehydrate(spec, body.getOwner(), body.getThisObject());
        c.setResolveStrategy(Closure.DELEGATE_FIRST);
        c.call();
        spec.finish();
        def.machines().put(name, config);
    }

    /** A machine with every setting at its default (the built-in guest, 256M, 1 CPU). */
    public void machine(String name) {
        machine(name, Closure.IDENTITY);
    }

    /** Runs once after all machines booted; tests start from the state it leaves. */
    public void setup(@DelegatesTo(value = TestContext.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        def.setups().add(body);
    }

    public void test(String name, @DelegatesTo(value = TestContext.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        if (name == null || name.isBlank()) {
            throw new DslException("a test needs a name: test('what it checks') { ... }");
        }
        if (def.tests().stream().anyMatch(t -> t.name().equals(name))) {
            throw new DslException("scenario '" + def.name() + "' has two tests named '" + name + "'");
        }
        def.tests().add(new ScenarioDefinition.TestDefinition(name, body, Locations.callerLine(def.file())));
    }

    /** Runs once after the last test, even when tests failed. */
    public void teardown(@DelegatesTo(value = TestContext.class, strategy = Closure.DELEGATE_FIRST) Closure<?> body) {
        def.teardowns().add(body);
    }

    /** 'snapshot' (default: each test starts from the state after setup), 'sequential' or 'reboot'. */
    public void isolation(String mode) {
        switch (mode == null ? "" : mode) {
            case "snapshot" -> def.isolation(ScenarioDefinition.Isolation.SNAPSHOT);
            case "sequential" -> def.isolation(ScenarioDefinition.Isolation.SEQUENTIAL);
            case "reboot" -> def.isolation(ScenarioDefinition.Isolation.REBOOT);
            default -> throw new DslException("isolation '" + mode + "' is not one of snapshot, sequential, reboot");
        }
    }

    /** QEMU's user-mode NAT network, which a jvt network on the same machine must not overlap. */
    private static final Subnet NAT = Subnet.parse("10.0.2.0/24");

    /**
     * Gives each network its subnet (10.0.N.0/24 for the Nth network unless {@code subnet} says
     * otherwise) and each NIC without {@code ip} the lowest host address of that subnet no other NIC
     * on the network has, in declaration order; checks that explicit addresses are in the subnet,
     * unique, and clear of the NAT network on a machine that also has {@code nat()}.
     */
    private void assignAddresses() {
        assignAddresses(def);
    }

    /** {@link #assignAddresses()} for a definition built elsewhere (a Spock spec's machines and networks). */
    public static void assignAddresses(ScenarioDefinition def) {
        Map<String, Subnet> subnets = new java.util.LinkedHashMap<>();
        int index = 0;
        for (ScenarioDefinition.NetworkDefinition n : List.copyOf(def.networks().values())) {
            index++;
            Subnet s = subnet(n.name(), n.subnet(), index, n.line());
            for (Map.Entry<String, Subnet> other : subnets.entrySet()) {
                if (s.overlaps(other.getValue())) {
                    throw new DslException(n.line(), "network '" + n.name() + "' (" + s + ") overlaps network '" + other.getKey() + "' ("
                            + other.getValue() + "); give it a subnet of its own: network '" + n.name() + "', subnet: '...'");
                }
            }
            subnets.put(n.name(), s);
            def.networks().put(n.name(), new ScenarioDefinition.NetworkDefinition(n.name(), s.toString(), n.line()));
        }
        Map<String, Set<Integer>> taken = new HashMap<>();
        Map<String, String> macs = new HashMap<>();
        for (MachineConfig m : def.machines().values()) {
            for (MachineConfig.Nic nic : m.nics()) {
                int line = def.lineOf(nic);
                String had = macs.putIfAbsent(nic.mac(), m.name());
                if (had != null) {
                    throw new DslException(line, "machine '" + m.name() + "': nic mac " + nic.mac() + " is already used by machine '" + had + "'");
                }
                if (nic.address() == null || !Character.isDigit(nic.address().charAt(0))) {
                    continue;
                }
                Subnet s = subnets.get(nic.network());
                int a;
                try {
                    a = Subnet.address(nic.address());
                } catch (DslException e) {
                    throw e;
                } catch (JvtException e) {
                    throw new DslException(line, "machine '" + m.name() + "': nic ip " + e.getMessage());
                }
                if (!s.contains(a)) {
                    throw new DslException(line, "machine '" + m.name() + "': nic address " + nic.address() + " is outside network '"
                            + nic.network() + "' (" + s + "); give the network a subnet: network '" + nic.network()
                            + "', subnet: '...'");
                }
                if (!nic.address().endsWith("/" + s.prefix())) {
                    throw new DslException(line, "machine '" + m.name() + "': nic address " + nic.address() + " has another prefix than network '"
                            + nic.network() + "' (" + s + "); write it /" + s.prefix());
                }
                if (!taken.computeIfAbsent(nic.network(), k -> new HashSet<>()).add(a)) {
                    throw new DslException(line, "machine '" + m.name() + "': nic address " + nic.address()
                            + " is already used on network '" + nic.network() + "'");
                }
            }
        }
        for (MachineConfig m : def.machines().values()) {
            List<MachineConfig.Nic> nics = m.nics();
            for (int i = 0; i < nics.size(); i++) {
                MachineConfig.Nic nic = nics.get(i);
                Subnet s = subnets.get(nic.network());
                if (nic.address() == null) {
                    Set<Integer> used = taken.computeIfAbsent(nic.network(), k -> new HashSet<>());
                    int h = 1;
                    while (used.contains(Subnet.address(s.host(h)))) {
                        h++;
                    }
                    used.add(Subnet.address(s.host(h)));
                    MachineConfig.Nic assigned = new MachineConfig.Nic(nic.network(), s.host(h), nic.model(), nic.mac());
                    def.nicLine(assigned, def.lineOf(nic));
                    nic = assigned;
                    nics.set(i, nic);
                }
                if (m.nat() && Character.isDigit(nic.address().charAt(0)) && NAT.contains(Subnet.address(nic.address()))) {
                    throw new DslException(def.lineOf(nics.get(i)), "machine '" + m.name() + "': nic address " + nic.address() + " on network '"
                            + nic.network() + "' overlaps the NAT network " + NAT + " of nat(); give the network another subnet");
                }
            }
        }
    }

    private void checkName(String name, String what) {
        if (name == null || !MachineConfig.NAME.matcher(name).matches()) {
            throw new DslException(what + " name '" + name + "' must start with a letter and hold only letters, digits, '_' and '-'");
        }
        if (def.machines().containsKey(name) || def.networks().containsKey(name)) {
            throw new DslException("scenario '" + def.name() + "' already has a machine or network named '" + name + "'");
        }
        if (TestContext.RESERVED.contains(name)) {
            throw new DslException(what + " name '" + name + "' is reserved");
        }
    }

    void finish() {
        for (MachineConfig m : def.machines().values()) {
            for (MachineConfig.Nic n : m.nics()) {
                if (!def.networks().containsKey(n.network())) {
                    throw new DslException(def.lineOf(n), "machine '" + m.name() + "': nic on network '" + n.network()
                            + "', which this scenario does not declare (add: network '" + n.network() + "')");
                }
            }
        }
        assignAddresses();
        if (def.machines().isEmpty() && !def.tests().isEmpty()) {
            throw new DslException("scenario '" + def.name() + "' has tests but no machine");
        }
    }
}
