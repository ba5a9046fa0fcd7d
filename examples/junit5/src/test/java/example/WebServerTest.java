package example;

import dev.jvt.engine.Machine;
import dev.jvt.engine.net.Network;
import dev.jvt.junit5.Jvt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.jvt.junit5.JvtMachines.machine;
import static dev.jvt.junit5.JvtMachines.network;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The Spock example's web server in JUnit 5: a server and a client on a network, and a partition. */
@Jvt
class WebServerTest {
    static Network lan = network("lan");
    static Machine server = machine("server", m -> m.nic(Map.of("ip", "10.0.1.1/24"), "lan"));
    static Machine client = machine("client", m -> m.nic(Map.of("ip", "10.0.1.2/24"), "lan"));

    @BeforeAll
    static void startTheServer() {
        server.succeed("mkdir -p /srv && echo hello from the server > /srv/index.html && httpd -p 80 -h /srv");
    }

    @Test
    void theClientFetchesThePage() {
        assertEquals("hello from the server\n", client.succeed("timeout 10 wget -qO- http://10.0.1.1/"));
    }

    @Test
    void aPartitionMakesTheFetchFail() {
        lan.partition(server, client);
        assertNotEquals(0, client.execute("timeout 3 wget -qO- http://10.0.1.1/").get(0));
    }

    @Test
    void theNextTestStartsHealed() {
        assertEquals("hello from the server\n", client.succeed("timeout 10 wget -qO- http://10.0.1.1/"));
    }
}
