/*
 * The lab's SparkPi (written for spark-on-metal): Maven Central serves no
 * spark-examples artifact and the pyspark distribution carries no examples jar, so the
 * lab image ships this program under the class name and jar path users know from
 * Spark's distributions (org.apache.spark.examples.SparkPi in
 * /opt/spark/examples/jars/spark-examples.jar), taking the same argument: the number of
 * partitions, each throwing 100000 darts at the unit square.
 *
 * It prints "Pi is roughly <estimate>" on the driver's standard output, which is what
 * the lab's tests read from the driver pod's log.
 */
package org.apache.spark.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

public final class SparkPi {
    private static final int DARTS_PER_PARTITION = 100_000;

    private SparkPi() {
    }

    /** Darts of one partition inside the quarter circle; seeded by partition for repeatability. */
    static long hits(int partition) {
        SplittableRandom random = new SplittableRandom(partition);
        long inside = 0;
        for (int dart = 0; dart < DARTS_PER_PARTITION; dart++) {
            double x = random.nextDouble() * 2 - 1;
            double y = random.nextDouble() * 2 - 1;
            if (x * x + y * y <= 1) {
                inside++;
            }
        }
        return inside;
    }

    public static void main(String[] args) {
        int partitions = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        if (partitions < 1) {
            throw new IllegalArgumentException("the number of partitions must be at least 1, not " + partitions);
        }
        SparkSession spark = SparkSession.builder().appName("Spark Pi").getOrCreate();
        try {
            JavaSparkContext context = new JavaSparkContext(spark.sparkContext());
            List<Integer> seeds = new ArrayList<>(partitions);
            for (int partition = 0; partition < partitions; partition++) {
                seeds.add(partition);
            }
            long inside = context.parallelize(seeds, partitions).map(SparkPi::hits).reduce(Long::sum);
            double darts = (double) partitions * DARTS_PER_PARTITION;
            System.out.println("Pi is roughly " + 4.0 * inside / darts);
        } finally {
            spark.stop();
        }
    }
}
