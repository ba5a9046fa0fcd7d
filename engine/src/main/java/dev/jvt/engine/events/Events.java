package dev.jvt.engine.events;

import dev.jvt.engine.JvtException;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The event stream of one scenario: which test is running, the nesting of steps, and the
 * listeners that hear about it. Machines report their actions here; runners open and close tests.
 */
public final class Events {
    private final ScenarioRun scenario;
    private final List<RunListener> listeners;
    private volatile TestRun current;
    private final ThreadLocal<Deque<Step>> stack = ThreadLocal.withInitial(ArrayDeque::new);

    public Events(ScenarioRun scenario, List<RunListener> listeners) {
        this.scenario = scenario;
        this.listeners = new CopyOnWriteArrayList<>(listeners);
    }

    public ScenarioRun scenario() {
        return scenario;
    }

    public List<RunListener> listeners() {
        return listeners;
    }

    public TestRun currentTest() {
        return current;
    }

    public void scenarioStarted() {
        listeners.forEach(l -> l.scenarioStarted(scenario));
    }

    public void scenarioFinished() {
        scenario.finish();
        listeners.forEach(l -> l.scenarioFinished(scenario));
    }

    public TestRun startTest(String name, TestRun.Kind kind) {
        TestRun t = new TestRun(scenario, name, kind);
        scenario.tests().add(t);
        t.start();
        current = t;
        listeners.forEach(l -> l.testStarted(t));
        return t;
    }

    public void finishTest(TestRun t, Throwable failure) {
        Status s = failure == null ? Status.PASSED : statusOf(failure);
        finishTest(t, s, failure);
    }

    public void finishTest(TestRun t, Status status, Throwable failure) {
        t.finish(status, failure);
        if (current == t) {
            current = null;
        }
        listeners.forEach(l -> l.testFinished(t));
    }

    public static Status statusOf(Throwable failure) {
        return JvtException.kindOf(failure) == JvtException.Kind.TEST_FAILURE ? Status.FAILED : Status.BROKEN;
    }

    /** Runs {@code body} as a step of the current test; its failure marks the step and propagates. */
    public <T> T step(Action action, Callable<T> body) {
        Step s = open(action);
        try {
            T result = body.call();
            close(s, null);
            return result;
        } catch (RuntimeException | Error e) {
            close(s, e);
            throw e;
        } catch (Exception e) {
            close(s, e);
            throw new RuntimeException(e);
        }
    }

    public void step(Action action, Runnable body) {
        step(action, () -> {
            body.run();
            return null;
        });
    }

    /** A step titled by {@code verb} alone, without attributes. */
    public <T> T step(String machine, String verb, Callable<T> body) {
        return step(Action.of(machine, verb), body);
    }

    public void step(String machine, String verb, Runnable body) {
        step(Action.of(machine, verb), body);
    }

    public Step open(Action action) {
        Deque<Step> st = stack.get();
        Step parent = st.peek();
        Step s = new Step(action, parent);
        TestRun t = current;
        if (parent == null && t != null) {
            t.steps().add(s);
        }
        st.push(s);
        listeners.forEach(l -> l.stepStarted(t, s));
        return s;
    }

    public void close(Step s, Throwable error) {
        Deque<Step> st = stack.get();
        st.remove(s);
        s.finish(error == null ? Status.PASSED : statusOf(error), error);
        TestRun t = current;
        listeners.forEach(l -> l.stepFinished(t, s));
    }

    /** Attaches a file to the innermost open step, else to the current test, else to the scenario. */
    public void attach(String name, Path file, String mimeType) {
        Attachment a = new Attachment(name, file, mimeType);
        Step s = stack.get().peek();
        TestRun t = current;
        if (s != null) {
            s.attachments().add(a);
        } else if (t != null) {
            t.attachments().add(a);
        } else {
            scenario.attachments().add(a);
        }
    }

    public void attachToScenario(String name, Path file, String mimeType) {
        scenario.attachments().add(new Attachment(name, file, mimeType));
    }

    public void consoleOutput(String machine, byte[] data, long nanoTime) {
        for (RunListener l : listeners) {
            l.consoleOutput(scenario, machine, data, nanoTime);
        }
    }

    public void consoleLine(String machine, String line) {
        scenario.appendOutput(machine + " # " + line);
        TestRun t = current;
        if (t != null) {
            t.appendOutput(machine + " # " + line);
        }
        for (RunListener l : listeners) {
            l.consoleLine(scenario, t, machine, line);
        }
    }

    public void machineStarted(String machine, Path directory) {
        listeners.forEach(l -> l.machineStarted(scenario, machine, directory));
    }
}
