package org.omspush.fanout;

/** A request about subscribers that cannot be carried out; it carries the problem details to answer with. */
public final class SubscriberProblem extends RuntimeException {
  private final ProblemDetails problem;

  public SubscriberProblem(ProblemDetails problem) {
    super(problem.title() + ": " + problem.detail(), null, false, false);
    this.problem = problem;
  }

  public static SubscriberProblem invalid(String detail) {
    return new SubscriberProblem(ProblemDetails.of(400, "invalid-subscriber", "Invalid subscriber", detail));
  }

  /** A request outside the subscriber endpoints that cannot be carried out as asked (a query parameter, a cursor). */
  public static SubscriberProblem invalidRequest(String detail) {
    return new SubscriberProblem(ProblemDetails.of(400, "invalid-request", "Invalid request", detail));
  }

  public static SubscriberProblem notFound(String what) {
    return new SubscriberProblem(ProblemDetails.of(404, "not-found", "Not found", what));
  }

  public ProblemDetails problem() {
    return problem;
  }
}
