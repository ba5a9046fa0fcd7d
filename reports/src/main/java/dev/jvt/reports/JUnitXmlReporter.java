package dev.jvt.reports;

import dev.jvt.engine.events.RunListener;
import dev.jvt.engine.events.RunSummary;
import dev.jvt.engine.events.ScenarioRun;
import dev.jvt.engine.events.Status;
import dev.jvt.engine.events.TestRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * JUnit XML in the Apache Ant format (the one Jenkins and GitLab read), valid against the Ant
 * schema: one {@code testsuite} per scenario, one {@code testcase} per test (a failed boot, setup
 * or teardown appears as a testcase of that name), the machines' console transcripts as the
 * suite's {@code system-out}.
 */
public final class JUnitXmlReporter implements RunListener {
    private static final Logger LOG = LoggerFactory.getLogger(JUnitXmlReporter.class);

    private final Path file;

    public JUnitXmlReporter(Path file) {
        this.file = file;
    }

    private final java.util.List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public java.util.List<String> writeFailures() {
        return failures;
    }

    @Override
    public void runFinished(RunSummary summary) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            try (OutputStream out = Files.newOutputStream(file)) {
                write(summary.scenarios(), out);
            }
        } catch (IOException | XMLStreamException e) {
            failures.add(dev.jvt.engine.JvtException.cannotWrite("", file, e).getMessage());
            LOG.debug("cannot write JUnit XML {}", file, e);
        }
    }

    public static void write(List<ScenarioRun> scenarios, OutputStream out) throws XMLStreamException {
        XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
        w.writeStartDocument("UTF-8", "1.0");
        w.writeCharacters("\n");
        w.writeStartElement("testsuites");
        String host = hostname();
        int id = 0;
        for (ScenarioRun s : scenarios) {
            List<TestRun> cases = s.tests().stream().filter(t -> !t.isFixture() || t.status() != Status.PASSED).toList();
            long failures = cases.stream().filter(t -> t.status() == Status.FAILED).count();
            long errors = cases.stream().filter(t -> t.status() == Status.BROKEN).count();
            long skipped = cases.stream().filter(t -> t.status() == Status.SKIPPED).count();
            String classname = classname(s);
            w.writeCharacters("\n  ");
            w.writeStartElement("testsuite");
            w.writeAttribute("name", token(s.name()));
            w.writeAttribute("package", classname);
            w.writeAttribute("id", Integer.toString(id++));
            w.writeAttribute("timestamp", LocalDateTime.ofInstant(Instant.ofEpochMilli(s.startMillis()), ZoneOffset.UTC)
                    .truncatedTo(ChronoUnit.SECONDS).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
            w.writeAttribute("hostname", host);
            w.writeAttribute("tests", Long.toString(cases.size()));
            w.writeAttribute("failures", Long.toString(failures));
            w.writeAttribute("errors", Long.toString(errors));
            w.writeAttribute("skipped", Long.toString(skipped));
            w.writeAttribute("time", seconds(Math.max(0, s.stopMillis() - s.startMillis())));
            w.writeCharacters("\n    ");
            w.writeEmptyElement("properties");
            for (TestRun t : cases) {
                w.writeCharacters("\n    ");
                w.writeStartElement("testcase");
                w.writeAttribute("name", token(t.name()));
                w.writeAttribute("classname", classname);
                w.writeAttribute("time", seconds(t.durationMillis()));
                if (t.status() == Status.FAILED || t.status() == Status.BROKEN) {
                    w.writeStartElement(t.status() == Status.FAILED ? "failure" : "error");
                    String msg = t.failure() == null ? "failed" : ConsoleReporter.describe(t.failure());
                    w.writeAttribute("message", xmlSafe(msg.lines().findFirst().orElse("failed")));
                    w.writeAttribute("type", t.failure() == null ? "failure" : t.failure().getClass().getName());
                    w.writeCharacters(xmlSafe(msg + (t.failure() == null ? "" : "\n" + stack(t.failure()))));
                    w.writeEndElement();
                } else if (t.status() == Status.SKIPPED) {
                    w.writeStartElement("skipped");
                    if (t.failure() != null) {
                        w.writeAttribute("message", xmlSafe(String.valueOf(t.failure().getMessage())));
                    }
                    w.writeEndElement();
                }
                w.writeEndElement();
            }
            w.writeCharacters("\n    ");
            w.writeStartElement("system-out");
            // the whole console transcript of every machine (also lines that arrived between tests)
            w.writeCharacters(xmlSafe(s.output()));
            w.writeEndElement();
            w.writeCharacters("\n    ");
            w.writeEmptyElement("system-err");
            w.writeCharacters("\n  ");
            w.writeEndElement();
        }
        w.writeCharacters("\n");
        w.writeEndElement();
        w.writeCharacters("\n");
        w.writeEndDocument();
        w.flush();
    }

    static String classname(ScenarioRun s) {
        String base = s.file() == null ? "jvt" : s.file().getFileName().toString().replaceAll("\\.groovy$", "");
        return token(base + "." + s.name()).replace(' ', '_');
    }

    private static String stack(Throwable t) {
        if (t instanceof dev.jvt.engine.JvtException && t.getCause() == null) {
            return "";
        }
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        return sw.toString();
    }

    /** Collapses white space (xs:token) and drops characters XML cannot hold. */
    static String token(String s) {
        String t = xmlSafe(s).replaceAll("\\s+", " ").trim();
        return t.isEmpty() ? "unnamed" : t;
    }

    static String xmlSafe(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || c >= 0x10000) {
                sb.appendCodePoint(c);
            }
        });
        return sb.toString();
    }

    private static String seconds(long ms) {
        return String.format(Locale.ROOT, "%.3f", ms / 1000.0);
    }

    /** This host's name for the reports, "localhost" when it has none. */
    static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            LOG.debug("cannot resolve this host's name; reporting it as localhost", e);
            return "localhost";
        }
    }

    /** For tests: the XML as a string. */
    public static String toXml(List<ScenarioRun> scenarios) throws XMLStreamException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        write(scenarios, b);
        return b.toString(StandardCharsets.UTF_8);
    }
}
