package dev.jvision.tune;

/**
 * What a study optimises: suggests parameters on the {@link Trial}, evaluates them and returns
 * the value (NaN fails the trial). May report intermediate values and throw {@link TrialPruned}
 * when {@link Trial#shouldPrune()} says so; any other exception fails the trial.
 */
@FunctionalInterface
public interface Objective {
    double evaluate(Trial trial) throws Exception;
}
