package dev.jvt.junit5;

import dev.jvt.engine.Machine;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.jvt.junit5.JvtMachines.machine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The JUnit 5 entry point on real guests: two {@code @Jvt} classes run through the Jupiter engine
 * (EngineTestKit) as a user's build would run them; the results and jvt's reports are checked.
 */
class JvtExtensionTest {

    @Jvt
    @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
    static class Hello {
        static Machine hello = machine("hello", m -> {
            m.memory("256M");
            m.expectConsole("jvt: guest ready");
        });

        @BeforeAll
        static void writeSetupFile() {
            hello.succeed("echo from-before-all > /root/setup.txt");
        }

        @Test
        @Order(1)
        void theGuestRunsLinux() {
            assertTrue(hello.succeed("uname -a").startsWith("Linux hello "));
            hello.succeed("echo scribble > /root/scribble.txt");
        }

        @Test
        @Order(2)
        void eachTestStartsFromTheSnapshotAfterBeforeAll() {
            hello.fail("test -e /root/scribble.txt");
            assertEquals("from-before-all\n", hello.succeed("cat /root/setup.txt"));
        }

        @Test
        @Order(3)
        void theMonitorAnswers() {
            assertTrue(hello.monitor("info registers").contains("RIP="));
        }

        @AfterAll
        static void stillRunning() {
            hello.succeed("true");
        }
    }

    @Jvt
    static class Failing {
        static Machine box = machine("box");

        @Test
        void aWrongExpectation() {
            assertEquals("Windows", box.succeed("uname -s").trim(), "the guest runs Windows");
        }
    }

    @Test
    void bootOncePerClassRewindPerTestAndTheReportsOfJvtRun() throws Exception {
        Path runs = Files.createTempDirectory(Path.of("target"), "jvt-junit5-");
        System.setProperty("jvt.runs", runs.toString());
        EngineExecutionResults r;
        try {
            r = EngineTestKit.engine("junit-jupiter").selectors(selectClass(Hello.class), selectClass(Failing.class)).execute();
        } finally {
            System.clearProperty("jvt.runs");
        }

        List<Event> failed = r.testEvents().failed().list();
        assertEquals(3, r.testEvents().succeeded().count(), () -> "succeeded: " + r.allEvents().list());
        assertEquals(1, failed.size());
        assertEquals(0, r.containerEvents().failed().count(), () -> "containers: " + r.containerEvents().failed().list());

        Path run;
        try (Stream<Path> s = Files.list(runs)) {
            run = s.filter(p -> !p.getFileName().toString().equals("latest")).findFirst().orElseThrow();
        }
        String junit = Files.readString(run.resolve("junit.xml"));
        assertTrue(junit.contains("<testsuite name=\"Hello\""), junit);
        assertTrue(junit.contains("name=\"theGuestRunsLinux\""), junit);
        assertTrue(junit.contains("name=\"eachTestStartsFromTheSnapshotAfterBeforeAll\""), junit);
        assertTrue(junit.contains("<testsuite name=\"Failing\""), junit);
        assertTrue(junit.contains("the guest runs Windows"), junit);
        // the failing test's evidence: the console at the failure, a screenshot
        try (Stream<Path> s = Files.walk(run)) {
            List<String> names = s.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.stream().anyMatch(n -> n.startsWith("screenshot-failure-001")), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.endsWith("-result.json")), names.toString());
        }
        try (Stream<Path> s = Files.list(run.resolve("allure-results"))) {
            String all = String.join("\n", s.filter(p -> p.toString().endsWith("-result.json")).map(p -> {
                try {
                    return Files.readString(p);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList());
            assertTrue(all.contains("hello: must succeed: uname -a"), "a DSL action is an Allure step");
            assertTrue(all.contains("box: console at the failure"), "the console is attached to the failing test");
        }
    }
}
