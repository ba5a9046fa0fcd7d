package dev.jvt.engine.events;

import java.nio.file.Path;

/** A file that belongs to a test or a scenario: transcript, QEMU log, screenshot, pcap. */
public record Attachment(String name, Path file, String mimeType) {
}
