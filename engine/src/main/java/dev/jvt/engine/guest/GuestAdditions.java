package dev.jvt.engine.guest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** What a scenario adds to the built-in guest: files, kernel modules, init scripts. */
public final class GuestAdditions {
    /** A file placed into the guest's root file system. */
    public record GuestFile(String path, byte[] data, int mode) {
    }

    private final List<GuestFile> files = new ArrayList<>();
    private final List<String> modules = new ArrayList<>();
    private final List<String> initScripts = new ArrayList<>();

    public GuestAdditions file(String path, byte[] data, int mode) {
        files.add(new GuestFile(path, data.clone(), mode));
        return this;
    }

    public GuestAdditions file(String path, String text, int mode) {
        return file(path, text.getBytes(StandardCharsets.UTF_8), mode);
    }

    public GuestAdditions module(String name) {
        modules.add(name);
        return this;
    }

    /** A shell script run at boot after the network is up, before the machine counts as booted. */
    public GuestAdditions init(String script) {
        initScripts.add(script);
        return this;
    }

    public List<GuestFile> files() {
        return files;
    }

    public List<String> modules() {
        return modules;
    }

    public List<String> initScripts() {
        return initScripts;
    }

    public boolean isEmpty() {
        return files.isEmpty() && modules.isEmpty() && initScripts.isEmpty();
    }
}
