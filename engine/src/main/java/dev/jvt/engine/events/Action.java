package dev.jvt.engine.events;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a step does, with structure: the machine it acts on, its verb ("must succeed", "monitor",
 * "wait for console") and named attributes ("command", "pattern", "monitor command", "text").
 * Listeners read the attributes; the title is only for people ("must succeed: uname -a").
 *
 * @param machine    the machine (or network) acted on; null for a step of the scenario itself
 * @param verb       what is done, the same words for every call of one kind
 * @param attributes the call's arguments by name, in the order given
 * @param title      how the step is shown
 */
public record Action(String machine, String verb, Map<String, String> attributes, String title) {
    public Action {
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        title = title == null ? verb : title;
    }

    /** A step of {@code verb} on {@code machine}, without attributes; titled by its verb. */
    public static Action of(String machine, String verb) {
        return new Action(machine, verb, Map.of(), verb);
    }

    /**
     * The same step with attribute {@code name}; the first attribute also goes into the title, as
     * "verb: value", unless a title was set with {@link #titled}.
     */
    public Action with(String name, Object value) {
        Map<String, String> a = new LinkedHashMap<>(attributes);
        a.put(name, String.valueOf(value));
        String t = attributes.isEmpty() && title.equals(verb) ? verb + ": " + value : title;
        return new Action(machine, verb, a, t);
    }

    /** The same step shown as {@code title}. */
    public Action titled(String title) {
        return new Action(machine, verb, attributes, title);
    }
}
