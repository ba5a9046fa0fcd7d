package dev.jvt.engine.remote;

import dev.jvt.engine.JvtException;

/**
 * The remote host of one scenario (a {@code Testbed}'s): connected on first use, shared by every
 * machine of the scenario (they must all name the same one), closed with the scenario.
 */
public final class RemoteHosts implements AutoCloseable {
    private String address;
    private RemoteHost host;

    /** The connection to {@code address}, opened now if it is the first; another address is refused. */
    public synchronized RemoteHost get(String machine, String address) {
        if (this.address != null && !this.address.equals(address)) {
            throw JvtException.badInput("machine '" + machine + "': host '" + address + "', but this scenario's machines run on '"
                    + this.address + "' (all machines of a scenario run on one host)");
        }
        if (host == null) {
            host = RemoteHost.connect(address);
            this.address = address;
        }
        return host;
    }

    @Override
    public synchronized void close() {
        if (host != null) {
            host.close();
            host = null;
        }
    }
}
