package dev.jvt.reports

import dev.jvt.engine.events.Events
import dev.jvt.engine.events.ScenarioRun
import groovy.json.JsonSlurper
import spock.lang.Specification
import spock.lang.TempDir

import java.nio.charset.StandardCharsets
import java.nio.file.Files
import java.nio.file.Path

class CastRecorderSpec extends Specification {
    @TempDir Path dir

    def "each machine's console becomes an asciinema v2 file with timed output events"() {
        given:
        def run = new ScenarioRun('hello', null, dir)
        def ev = new Events(run, [new CastRecorder()])
        byte[] text = 'héllo \u001b[0m"quoted"\r\n# '.getBytes(StandardCharsets.UTF_8)
        int split = 2                                     // in the middle of the two bytes of 'é'

        when:
        ev.scenarioStarted()
        ev.machineStarted('vm', dir.resolve('vm'))
        long t0 = System.nanoTime()
        ev.consoleOutput('vm', Arrays.copyOfRange(text, 0, split), t0 + 1_000_000)
        ev.consoleOutput('vm', Arrays.copyOfRange(text, split, text.length), t0 + 1_500_000_000)
        ev.scenarioFinished()
        def lines = Files.readAllLines(dir.resolve('vm/console.cast'))
        def header = new JsonSlurper().parseText(lines[0])
        def events = lines.drop(1).collect { new JsonSlurper().parseText(it) }

        then:
        header.version == 2
        header.width == 80
        header.height == 25
        header.timestamp instanceof Number
        header.title == 'hello › vm'
        events*.get(1) == ['o', 'o']
        events.collect { it[2] }.join('') == new String(text, StandardCharsets.UTF_8)
        events[0][0] < events[1][0]
        events[1][0] >= 1.5
    }

    def "output of machines that were never started is ignored, and a cast ends with its scenario"() {
        given:
        def run = new ScenarioRun('hello', null, dir)
        def rec = new CastRecorder()
        def ev = new Events(run, [rec])

        when:
        ev.consoleOutput('ghost', 'boo'.bytes, System.nanoTime())
        ev.machineStarted('vm', dir.resolve('vm'))
        ev.scenarioFinished()
        ev.consoleOutput('vm', 'late'.bytes, System.nanoTime())

        then:
        !Files.exists(dir.resolve('ghost'))
        Files.readAllLines(dir.resolve('vm/console.cast')).size() == 1
    }
}
