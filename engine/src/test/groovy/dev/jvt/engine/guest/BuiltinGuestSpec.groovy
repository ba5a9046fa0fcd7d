package dev.jvt.engine.guest

import dev.jvt.engine.host.Prerequisites
import spock.lang.Specification

import java.nio.file.Files

/** The built-in guest is found again from its inputs' digest without being assembled and hashed. */
class BuiltinGuestSpec extends Specification {

    def "the recipe digest follows every addition and nothing else"() {
        given:
        def kit = Prerequisites.guestKit()
        def base = { new GuestAdditions().file('etc/motd', 'hi', 0644).init('echo up') }

        expect:
        BuiltinGuest.recipe(kit, base()) == BuiltinGuest.recipe(kit, base())
        BuiltinGuest.recipe(kit, base()) != BuiltinGuest.recipe(kit, base().init('echo more'))
        BuiltinGuest.recipe(kit, base()) != BuiltinGuest.recipe(kit, new GuestAdditions().file('etc/motd', 'ho', 0644).init('echo up'))
        BuiltinGuest.recipe(kit, base()) != BuiltinGuest.recipe(kit, new GuestAdditions().file('etc/motd', 'hi', 0600).init('echo up'))
        BuiltinGuest.recipe(kit, base()) != BuiltinGuest.recipe(kit, base().module('loop'))
        BuiltinGuest.recipe(kit, new GuestAdditions()) != BuiltinGuest.recipe(kit, base())
    }

    def "the same inputs give the file built before; the archive holds the additions"() {
        given:
        def kit = Prerequisites.guestKit()
        def marker = UUID.randomUUID().toString()
        def additions = { new GuestAdditions().file('etc/marker', marker, 0644) }

        when:
        def first = BuiltinGuest.image(kit, additions())
        def second = BuiltinGuest.image(kit, additions())
        def index = first.parent.resolve('recipe-' + BuiltinGuest.recipe(kit, additions()))

        then:
        first == second
        Files.isRegularFile(first)
        Files.readString(index).trim() == first.fileName.toString()
        new String(Files.readAllBytes(first), 'UTF-8').contains(marker)
        first.fileName.toString() == 'initramfs-' + BuiltinGuest.assemble(kit, additions()).sha256().substring(0, 16) + '.cpio'
    }
}
