package dev.jvt.engine.events;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One timed action (a DSL call), possibly with nested steps. Tagged with the machine it acted on,
 * its verb and its named attributes ({@link Action}), so listeners never parse titles.
 */
public final class Step {
    private final Action action;
    private final Step parent;
    private final int depth;
    private final long startMillis = System.currentTimeMillis();
    private final long startNanos = System.nanoTime();
    private final List<Step> children = new CopyOnWriteArrayList<>();
    private final List<Attachment> attachments = new CopyOnWriteArrayList<>();
    private volatile long durationNanos = -1;
    private volatile Status status = Status.RUNNING;
    private volatile Throwable error;

    Step(Action action, Step parent) {
        this.action = action;
        this.parent = parent;
        this.depth = parent == null ? 0 : parent.depth + 1;
        if (parent != null) {
            parent.children.add(this);
        }
    }

    void finish(Status status, Throwable error) {
        this.durationNanos = System.nanoTime() - startNanos;
        this.status = status;
        this.error = error;
    }

    public String machine() {
        return action.machine();
    }

    /** What was done, e.g. "must succeed" (the same for every call of one kind). */
    public String verb() {
        return action.verb();
    }

    /** The call's arguments by name: "command", "pattern", "monitor command", "text", ... */
    public Map<String, String> attributes() {
        return action.attributes();
    }

    public Action action() {
        return action;
    }

    public String title() {
        return action.title();
    }

    public Step parent() {
        return parent;
    }

    public int depth() {
        return depth;
    }

    public long startMillis() {
        return startMillis;
    }

    public long durationMillis() {
        return durationNanos < 0 ? -1 : durationNanos / 1_000_000;
    }

    public Status status() {
        return status;
    }

    public Throwable error() {
        return error;
    }

    public List<Step> children() {
        return children;
    }

    public List<Attachment> attachments() {
        return attachments;
    }

    /** "server: must succeed: uname -a". */
    public String label() {
        return machine() == null ? title() : machine() + ": " + title();
    }
}
