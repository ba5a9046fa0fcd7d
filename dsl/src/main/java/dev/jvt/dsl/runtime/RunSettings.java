package dev.jvt.dsl.runtime;

import dev.jvt.engine.RunOptions;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * How {@code jvt run} runs: where files go, how many scenarios at once, which tests.
 *
 * @param runDirectory the run directory (created)
 * @param parallel     scenarios run at the same time
 * @param filter       tests whose "scenario › test" name this regex finds (null: all)
 */
public record RunSettings(Path runDirectory, int parallel, Pattern filter, RunOptions options) {
}
