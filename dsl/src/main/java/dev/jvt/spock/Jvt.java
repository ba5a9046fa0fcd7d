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
 * They boot once, after the shared fields are set and before {@code setupSpec}; every feature
 * (every iteration of a data-driven one) is a test in the run's reports, every machine action a
 * step; a feature that fails gets each machine's console attached. The run directory, with
 * Allure results and JUnit XML, is {@code target/jvt-runs/<time>} (system property
 * {@code jvt.runs} changes the base folder).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Documented
@ExtensionAnnotation(JvtExtension.class)
public @interface Jvt {
}
