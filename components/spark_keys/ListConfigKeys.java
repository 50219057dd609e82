// Prints every configuration key a Spark distribution registers, one per line, sorted.
//
// Spark declares each setting as a ConfigEntry built by ConfigBuilder; every entry adds
// itself to the registry ConfigEntry.knownConfigs when its holder object is initialised.
// This program initialises each class of the given Spark jars that refers to ConfigBuilder
// (the config holder objects: core's config package, Kubernetes' Config, SQLConf, ...)
// and then prints the registry's keys and their alternative (older) names, plus the keys
// SparkLauncher names as constants (spark.master, spark.app.name: read by name, not entries).
//
// Run with the jars of a pyspark release (pyspark-<version>.tar.gz, deps/jars):
//   java -cp 'JARS/*' components/spark_keys/ListConfigKeys.java JARS > components/spark_keys/spark-4.txt
import java.io.File;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

public class ListConfigKeys {
    private static final byte[] BUILDER = "org/apache/spark/internal/config/ConfigBuilder".getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        File[] jars = new File(args[0]).listFiles((dir, name) -> name.startsWith("spark-") && name.endsWith(".jar"));
        ClassLoader loader = ListConfigKeys.class.getClassLoader();
        int initialised = 0;
        for (File jar : jars) {
            try (JarFile file = new JarFile(jar)) {
                for (Enumeration<JarEntry> entries = file.entries(); entries.hasMoreElements();) {
                    JarEntry entry = entries.nextElement();
                    String name = entry.getName();
                    if (!name.startsWith("org/apache/spark/") || !name.endsWith(".class")) continue;
                    try (InputStream in = file.getInputStream(entry)) {
                        if (!contains(in.readAllBytes(), BUILDER)) continue;
                    }
                    try {
                        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), true, loader);
                        initialised++;
                    } catch (Throwable ignored) {
                        // a class needing an optional dependency; its entries are registered elsewhere or not at all
                    }
                }
            }
        }
        Class<?> companion = Class.forName("org.apache.spark.internal.config.ConfigEntry$", true, loader);
        Object module = companion.getField("MODULE$").get(null);
        Map<?, ?> known = (Map<?, ?>) registry(companion, module);
        TreeSet<String> keys = new TreeSet<>();
        for (Map.Entry<?, ?> item : known.entrySet()) {
            keys.add((String) item.getKey());
            Object alternatives = item.getValue().getClass().getMethod("alternatives").invoke(item.getValue());
            Method iterator = alternatives.getClass().getMethod("iterator");
            scala.collection.Iterator<?> it = (scala.collection.Iterator<?>) iterator.invoke(alternatives);
            while (it.hasNext()) keys.add((String) it.next());
        }
        for (Field field : Class.forName("org.apache.spark.launcher.SparkLauncher", true, loader).getFields()) {
            if (field.getType() == String.class && java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                String value = (String) field.get(null);
                if (value.startsWith("spark.")) keys.add(value);
            }
        }
        System.err.println("initialised " + initialised + " classes, " + keys.size() + " keys");
        for (String key : keys) System.out.println(key);
    }

    private static Object registry(Class<?> companion, Object module) throws Exception {
        for (Method method : companion.getDeclaredMethods()) {
            if (method.getName().endsWith("knownConfigs") && method.getParameterCount() == 0) {
                method.setAccessible(true);
                return method.invoke(module);
            }
        }
        for (Field field : companion.getDeclaredFields()) {
            if (field.getName().endsWith("knownConfigs")) {
                field.setAccessible(true);
                return field.get(module);
            }
        }
        throw new IllegalStateException("ConfigEntry has no knownConfigs registry in this Spark");
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
            return true;
        }
        return false;
    }
}
