package dev.jvt.junit5;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A JUnit 5 test class whose static fields declare jvt machines and networks
 * ({@link JvtMachines#machine}): they boot once before the class's tests (all at once), the
 * machines are snapshotted after its {@code @BeforeAll} methods, and every test after the first
 * starts from that snapshot. The class is a scenario in the run's reports (console, JUnit XML,
 * Allure, casts under {@code target/jvt-runs/<time>}, or {@code -Djvt.runs=DIR}); a failing test
 * gets each machine's console and a screenshot attached.
 *
 * <pre>{@code
 * @Jvt
 * class HelloTest {
 *     static Machine hello = machine("hello", m -> m.memory("256M"));
 *
 *     @Test
 *     void runsLinux() {
 *         assertTrue(hello.succeed("uname -s").startsWith("Linux"));
 *     }
 * }
 * }</pre>
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(JvtExtension.class)
public @interface Jvt {
    /** {@code true} (the default): every test starts from the snapshot; {@code false}: tests share the machines as the previous test left them. */
    boolean rewind() default true;
}
