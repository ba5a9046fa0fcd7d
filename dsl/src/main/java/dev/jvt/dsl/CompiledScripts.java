package dev.jvt.dsl;

import dev.jvt.engine.host.Host;
import groovy.lang.GroovyClassLoader;
import groovy.lang.GroovyCodeSource;
import groovy.lang.GroovySystem;
import org.codehaus.groovy.ast.ClassNode;
import org.codehaus.groovy.control.CompilationUnit;
import org.codehaus.groovy.control.CompilerConfiguration;
import org.codehaus.groovy.control.SourceUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Compiled scenario scripts, cached by content: compiling a scenario costs ~0.3 s of a run's start
 * (the Groovy parser and class generation, in a JVM that has just started), loading its stored
 * classes a few milliseconds. The key is the script's text, the name it is compiled under, the
 * Groovy version, the JVM's feature version and jvt's own jar (its base class and imports decide
 * the bytecode). Only scripts that compiled are stored; their errors still name file and line.
 * Kept in {@code ~/.cache/jvt/scripts} (the newest {@value #KEEP}); {@code JVT_SCRIPT_CACHE=off}
 * (or the system property {@code jvt.scriptCache=off}) compiles every time.
 */
final class CompiledScripts {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledScripts.class);
    static final int KEEP = 200;
    private static final int MAGIC = 0x4a565453; // "JVTS"

    private CompiledScripts() {
    }

    static boolean enabled() {
        return !"off".equalsIgnoreCase(System.getProperty("jvt.scriptCache", System.getenv().getOrDefault("JVT_SCRIPT_CACHE", "on")));
    }

    /** The script class of {@code source}, compiled with {@code cc} or loaded from the cache. */
    static Class<?> scriptClass(ClassLoader parent, CompilerConfiguration cc, GroovyCodeSource source) {
        if (!enabled()) {
            return new GroovyClassLoader(parent, cc).parseClass(source, false);
        }
        Path dir = Host.cacheDir().resolve("scripts");
        Path file = dir.resolve(key(source) + ".classes");
        if (Files.isRegularFile(file)) {
            try {
                Class<?> c = load(parent, file);
                touch(file);
                return c;
            } catch (IOException | ClassNotFoundException | LinkageError | RuntimeException e) {
                LOG.debug("stored classes {} are not usable; compiling", file, e);
            }
        }
        Recording loader = new Recording(parent, cc);
        Class<?> c = loader.parseClass(source, false);
        try {
            store(dir, file, c.getName(), loader.classes);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot store the compiled script in {}", file, e);
        }
        return c;
    }

    static String key(GroovyCodeSource source) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String part : List.of("jvt-scripts-1", source.getName(), GroovySystem.getVersion(),
                    String.valueOf(Runtime.version().feature()), jarIdentity(), source.getScriptText())) {
                md.update(part.getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 40);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String jarIdentity() {
        try {
            Path p = Path.of(CompiledScripts.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Host.fileStamp(p);
        } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
            // unknown where jvt's classes come from: never reuse
            return "unknown " + System.nanoTime();
        }
    }

    private static Class<?> load(ClassLoader parent, Path file) throws IOException, ClassNotFoundException {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        String main;
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            if (in.readInt() != MAGIC) {
                throw new IOException("not a stored script");
            }
            main = in.readUTF();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                classes.put(name, b);
            }
        }
        if (!classes.containsKey(main)) {
            throw new IOException("the stored script lacks its main class " + main);
        }
        return Class.forName(main, false, new Stored(parent, classes));
    }

    private static void store(Path dir, Path file, String main, Map<String, byte[]> classes) throws IOException {
        if (!classes.containsKey(main)) {
            return;
        }
        Files.createDirectories(dir);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeUTF(main);
            out.writeInt(classes.size());
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        }
        Path tmp = Files.createTempFile(dir, ".script-", ".tmp");
        Files.write(tmp, bytes.toByteArray());
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        prune(dir);
    }

    private static void touch(Path file) {
        try {
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            LOG.debug("cannot touch {}", file, e);
        }
    }

    /** Keeps the {@value #KEEP} most recently used entries. */
    private static void prune(Path dir) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.list(dir)) {
            all = new ArrayList<>(s.filter(p -> p.getFileName().toString().endsWith(".classes")).toList());
        }
        if (all.size() <= KEEP) {
            return;
        }
        all.sort(java.util.Comparator.comparingLong(p -> {
            try {
                return Files.getLastModifiedTime(p).toMillis();
            } catch (IOException e) {
                return 0L;
            }
        }));
        for (Path p : all.subList(0, all.size() - KEEP)) {
            Files.deleteIfExists(p);
        }
    }

    /** A compiling loader that keeps the bytes of every class it generates. */
    private static final class Recording extends GroovyClassLoader {
        final Map<String, byte[]> classes = new LinkedHashMap<>();

        Recording(ClassLoader parent, CompilerConfiguration cc) {
            super(parent, cc);
        }

        @Override
        protected ClassCollector createCollector(CompilationUnit unit, SourceUnit su) {
            InnerLoader inner = new InnerLoader(this);
            return new ClassCollector(inner, unit, su) {
                @Override
                protected Class<?> createClass(byte[] code, ClassNode classNode) {
                    classes.put(classNode.getName(), code.clone());
                    return super.createClass(code, classNode);
                }
            };
        }
    }

    /** Defines a stored script's classes on demand (the script, then its closures as they run). */
    private static final class Stored extends ClassLoader {
        private final Map<String, byte[]> classes;

        Stored(ClassLoader parent, Map<String, byte[]> classes) {
            super(parent);
            this.classes = classes;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] b = classes.get(name);
            if (b == null) {
                throw new ClassNotFoundException(name);
            }
            return defineClass(name, b, 0, b.length);
        }
    }
}
