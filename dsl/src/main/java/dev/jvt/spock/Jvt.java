package dev.jvt.spock;

import dev.jvt.spock.runtime.JvtExtension;
import org.spockframework.runtime.extension.ExtensionAnnotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a Spock specification drive jvt machines (SPEC §5). Machines are declared in
 * {@code @Shared} fields with the scenario language's machine block:
 *
 * <pre>
 * &#64;Jvt
 * class WebServerSpec extends Specification {
 *     &#64;Shared Machine server = machine('server') { memory '256M' }
 *
 *     def "the guest runs Linux"() {
 *         expect: server.succeed('uname -s').trim() == 'Linux'
 *     }
 * }
 * </pre>
 *
 * They boot once, after the shared fields are set and before {@code setupSpec}; after
 * {@code setupSpec} each is snapshotted, and every feature iteration but the first starts by
 * rewinding to that snapshot ({@code isolation = 'sequential'}: features continue from each
 * other). Every feature iteration is a test in the run's reports, every machine action a step; a
 * feature that fails gets each machine's console and a screenshot attached. The run directory, with
 * Allure results and JUnit XML, is {@code target/jvt-runs/<time>} (system property
 * {@code jvt.runs} changes the base folder).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Documented
@ExtensionAnnotation(JvtExtension.class)
public @interface Jvt {
    /** 'snapshot' (default): each feature starts from the state after setupSpec; 'sequential': from the previous feature's. */
    String isolation() default "snapshot";
}
