/*
 * Static type checking of scenario files (a Groovy type checking extension): what is dynamic in
 * a scenario gets its type.
 *  - In tests, a machine's name is a variable of type dev.jvt.engine.Machine and a network's name
 *    one of type dev.jvt.engine.net.Network (TestContext resolves them at run time).
 *  - A machine verb called on an image variable (def web = debian(...); web.succeed ...) has the
 *    machine method's type (ImageHandle hands it to the machine that boots the image).
 * Used by ScenarioLoader.typeCheck and, in a user's own code,
 * @groovy.transform.TypeChecked(extensions = 'dev/jvt/dsl/ScenarioTypeChecking.groovy').
 */
import org.codehaus.groovy.ast.ClassHelper
import org.codehaus.groovy.ast.CodeVisitorSupport
import org.codehaus.groovy.ast.expr.ConstantExpression
import org.codehaus.groovy.ast.expr.MethodCallExpression
import org.codehaus.groovy.ast.expr.TupleExpression
import org.codehaus.groovy.ast.expr.VariableExpression

Set<String> machines = [] as Set
Set<String> networks = [] as Set

beforeVisitClass { classNode ->
    classNode.module?.statementBlock?.visit(new CodeVisitorSupport() {
        @Override
        void visitMethodCallExpression(MethodCallExpression call) {
            def args = call.arguments instanceof TupleExpression ? ((TupleExpression) call.arguments).expressions : []
            def name = args.find { it instanceof ConstantExpression && ((ConstantExpression) it).value instanceof String }
            if (name != null && call.methodAsString == 'machine') {
                machines << (String) ((ConstantExpression) name).value
            } else if (name != null && call.methodAsString == 'network') {
                networks << (String) ((ConstantExpression) name).value
            }
            super.visitMethodCallExpression(call)
        }
    })
}

unresolvedVariable { VariableExpression v ->
    if (v.name in machines) {
        return makeDynamic(v, classNodeFor(dev.jvt.engine.Machine))
    }
    if (v.name in networks) {
        return makeDynamic(v, classNodeFor(dev.jvt.engine.net.Network))
    }
}

methodNotFound { receiver, name, argList, argTypes, call ->
    if (receiver == classNodeFor(dev.jvt.dsl.ImageHandle)) {
        def m = classNodeFor(dev.jvt.engine.Machine).getMethods(name)
        if (m) {
            return makeDynamic(call, m[0].returnType)
        }
    }
}

// execute returns [status, output]: to the type checker a Tuple2<Integer, String>, so that
// def (status, out) = box.execute('…') checks (at run time it is the list it always was)
afterMethodCall { call ->
    if (call instanceof MethodCallExpression && call.methodAsString == 'execute') {
        def target = getTargetMethod(call)
        def owner = target?.declaringClass
        if (owner == classNodeFor(dev.jvt.engine.Machine) || owner == classNodeFor(dev.jvt.dsl.MachineExtensions)) {
            storeType(call, org.codehaus.groovy.ast.tools.GenericsUtils.makeClassSafeWithGenerics(classNodeFor(Tuple2),
                    new org.codehaus.groovy.ast.GenericsType(ClassHelper.Integer_TYPE), new org.codehaus.groovy.ast.GenericsType(ClassHelper.STRING_TYPE)))
        }
    }
}
