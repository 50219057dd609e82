import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * An application that exists only on the submitting machine: spark-submit uploads its
 * jar to the stack's upload path, and the driver fetches it from there. The map runs a
 * method of this class on the executors, which can only deserialize it after fetching
 * the same jar: the answer proves both halves.
 */
public final class UploadedApp {
    private UploadedApp() {
    }

    static int square(int value) {
        return value * value;
    }

    public static void main(String[] args) {
        SparkSession spark = SparkSession.builder().appName("Uploaded App").getOrCreate();
        JavaSparkContext context = new JavaSparkContext(spark.sparkContext());
        List<Integer> numbers = IntStream.rangeClosed(1, 1000).boxed().collect(Collectors.toList());
        int sum = context.parallelize(numbers, 4).map(UploadedApp::square).reduce(Integer::sum);
        System.out.println("Uploaded app: the sum of squares of 1..1000 is " + sum);
        spark.stop();
    }
}
