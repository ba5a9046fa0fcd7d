package dev.jvt.engine.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** One timed action (a DSL call), possibly with nested steps. Tagged with the machine it acted on. */
public final class Step {
    private final String machine;
    private final String title;
    private final Step parent;
    private final int depth;
    private final long startMillis = System.currentTimeMillis();
    private final long startNanos = System.nanoTime();
    private final List<Step> children = new CopyOnWriteArrayList<>();
    private final List<Attachment> attachments = new CopyOnWriteArrayList<>();
    private volatile long durationNanos = -1;
    private volatile Status status = Status.RUNNING;
    private volatile Throwable error;

    Step(String machine, String title, Step parent) {
        this.machine = machine;
        this.title = title;
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
        return machine;
    }

    public String title() {
        return title;
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
        return machine == null ? title : machine + ": " + title;
    }
}
