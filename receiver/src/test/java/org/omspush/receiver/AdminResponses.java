package org.omspush.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.omspush.receiver.TestReceiver.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import org.omspush.receiver.admin.AdminContract;

/**
 * Checks real JSON answers of the admin API against the response schemas of its OpenAPI
 * document, so that a field the code adds, drops or types differently shows.
 */
final class AdminResponses implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final OpenAPIContract contract;
  private final ResponseValidator validator;
  private int checked;

  AdminResponses() {
    try (InputStream in = AdminContract.class.getClassLoader()
        .getResourceAsStream("org/omspush/receiver/admin/openapi.json")) {
      JsonObject doc = new JsonObject(Buffer.buffer(in.readAllBytes()));
      contract = await(OpenAPIContract.from(vertx, AdminContract.forValidator(doc)));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    validator = ResponseValidator.create(vertx, contract);
  }

  /** Fails unless the answer (a 2xx JSON one) fits the document's response for its operation. */
  <T extends HttpResponse<String>> T check(T r) {
    URI uri = r.request().uri();
    Operation op = contract.findOperation(uri.getRawPath(), HttpMethod.valueOf(r.request().method()));
    assertThat(op).as("an operation for " + r.request().method() + " " + uri.getRawPath()).isNotNull();
    String type = r.headers().firstValue("content-type").orElse(null);
    if (r.statusCode() / 100 != 2 || !"application/json".equals(type)) {
      return r;
    }
    try {
      await(validator.validate(ValidatableResponse.create(r.statusCode(), Buffer.buffer(r.body()), type),
          op.getOperationId()));
    } catch (AssertionError e) {
      throw new AssertionError(op.getOperationId() + " answered what its document does not describe: "
          + e.getCause() + "\n" + r.body(), e);
    }
    checked++;
    return r;
  }

  /** How many answers fit. */
  int checked() {
    return checked;
  }

  @Override
  public void close() {
    await(vertx.close());
  }
}
