package example;

import dev.jvt.engine.Machine;
import dev.jvt.junit5.Jvt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static dev.jvt.junit5.JvtMachines.machine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One machine, booted once for the class; every test starts from the snapshot taken after @BeforeAll. */
@Jvt
class HelloGuestTest {
    static Machine hello = machine("hello", m -> {
        m.memory("256M");
        m.expectConsole("jvt: guest ready");
    });

    @BeforeAll
    static void prepare() {
        hello.succeed("echo prepared > /root/state");
    }

    @Test
    void theGuestRunsLinux() {
        assertTrue(hello.succeed("uname -a").startsWith("Linux hello "));
    }

    @Test
    void aTestMayChangeTheGuest() {
        hello.succeed("echo changed > /root/state");
        assertEquals("changed\n", hello.succeed("cat /root/state"));
    }

    @Test
    void andTheNextOneStartsFromTheSnapshot() {
        // whichever order JUnit picks, no test sees another's change
        assertEquals("prepared\n", hello.succeed("cat /root/state"));
    }

    @Test
    void theMonitorShowsTheRegisters() {
        assertFalse(hello.monitor("info registers").isBlank());
    }
}
