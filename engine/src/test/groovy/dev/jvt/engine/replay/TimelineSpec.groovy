package dev.jvt.engine.replay

import spock.lang.Specification

import java.nio.file.Files

/** The arithmetic of a recording's timeline: marks and samples to instruction counts and back. */
class TimelineSpec extends Specification {
    static Timeline.Mark mark(String kind, int step, long icount, double seconds, long console) {
        new Timeline.Mark(kind, step, 'a test', 'box: must succeed: true', icount, seconds, console)
    }

    Timeline timeline = new Timeline(100.0, [
            mark('step', 1, 1_000, 1.0, 10),
            mark('step-end', 1, 5_000, 2.0, 40),
            mark('step', 2, 5_000, 2.0, 40),
            mark('failure', 2, 9_000, 4.0, 80),
            mark('step-end', 2, 9_000, 4.0, 80)],
            [new Timeline.Sample(0.5, 500, 0), new Timeline.Sample(3.0, 7_000, 60), new Timeline.Sample(5.0, 9_500, 90)])

    def "recorded time maps to instruction counts linearly between points, exactly at them"() {
        expect:
        timeline.icountAt(1.0) == 1_000
        timeline.icountAt(2.5) == 6_000
        timeline.icountAt(4.0) == 9_000
        timeline.icountAt(99) == 9_500
        timeline.icountAt(-1) == 0
        timeline.secondsAt(7_000) == 3.0d
        timeline.secondsAt(8_000) == 3.5d
        timeline.lastIcount() == 9_500
    }

    def "the failure and steps are found; of several marks at one count the one arrived at wins, else the first"() {
        expect:
        timeline.failure().get().icount() == 9_000
        timeline.step(2).get().icount() == 5_000
        !timeline.step(3).present
        timeline.markAt(5_000).get().kind() == 'step-end'
        timeline.markAt(5_000, timeline.step(2).get()).get().kind() == 'step'
        timeline.markAt(6_000).get().kind() == 'step'
        timeline.markAt(9_000).get().position(true) == "at the failure of 'box: must succeed: true' in test 'a test'"
        timeline.markAt(6_000).get().position(false) == "in step 2 'box: must succeed: true' of test 'a test'"
    }

    def "a console byte is bracketed by the points before and after jvt had read it"() {
        expect: 'byte 50 was read by the sample at 7000; the lower bound is a point before the last one that had not read it'
        timeline.bracketConsole(50) == [5_000L, 7_000L] as long[]
        and: 'a byte never read has no upper bound'
        timeline.bracketConsole(1_000)[1] == -1
    }

    def "a timeline survives the file it is written to"() {
        given:
        def f = Files.createTempFile('timeline', '.json')

        when:
        timeline.write(f)
        def back = Timeline.read(f)

        then:
        back == timeline

        cleanup:
        Files.deleteIfExists(f)
    }
}
