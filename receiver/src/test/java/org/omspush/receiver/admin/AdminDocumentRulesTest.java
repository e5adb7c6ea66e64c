package org.omspush.receiver.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.omspush.fanout.CloudEvents;
import org.omspush.fanout.Subscribers;
import org.omspush.store.ParticipantKey;
import org.omspush.store.StateCounts;

/**
 * The OpenAPI document repeats some of the code's rules (limits, states, event types, keys):
 * each must be the code's, so that changing one without the other fails here.
 */
class AdminDocumentRulesTest {
  static JsonObject doc;

  @BeforeAll
  static void read() throws Exception {
    try (InputStream in = AdminContract.class.getClassLoader().getResourceAsStream(AdminContract.RESOURCE)) {
      doc = new JsonObject(Buffer.buffer(in.readAllBytes()));
    }
  }

  private static JsonObject parameter(String name) {
    return doc.getJsonObject("components").getJsonObject("parameters").getJsonObject(name).getJsonObject("schema");
  }

  private static JsonObject operation(String path, String method) {
    return doc.getJsonObject("paths").getJsonObject(path).getJsonObject(method);
  }

  private static JsonObject query(String path, String method, String name) {
    for (Object o : operation(path, method).getJsonArray("parameters")) {
      JsonObject p = (JsonObject) o;
      if (name.equals(p.getString("name"))) {
        return p.getJsonObject("schema");
      }
    }
    throw new AssertionError("no parameter " + name + " on " + method + " " + path);
  }

  private static List<String> bothCases(List<String> values) {
    List<String> out = new ArrayList<>(values);
    values.forEach(v -> out.add(v.toLowerCase(Locale.ROOT)));
    return out;
  }

  @Test
  void the_read_api_page_size_is_the_codes() {
    assertThat(parameter("ReadLimit").getInteger("maximum")).isEqualTo(ReadParameters.LIMIT_MAX);
    assertThat(parameter("ReadLimit").getInteger("default")).isEqualTo(ReadParameters.LIMIT_DEFAULT);
  }

  @Test
  void the_bulk_retry_bounds_are_the_codes() {
    JsonObject limit = operation("/api/v1/claims/retry", "post").getJsonObject("requestBody").getJsonObject("content")
        .getJsonObject("application/json").getJsonObject("schema").getJsonObject("properties").getJsonObject("limit");
    assertThat(limit.getInteger("maximum")).isEqualTo(ClaimsApi.BULK_MAX);
    assertThat(limit.getInteger("default")).isEqualTo(ClaimsApi.BULK_DEFAULT);
  }

  @Test
  void claim_and_delivery_states_are_the_codes_in_either_case() {
    assertThat(query("/api/v1/claims", "get", "state").getJsonArray("enum").getList())
        .containsExactlyInAnyOrderElementsOf(bothCases(StateCounts.CLAIM_STATES));
    assertThat(query("/api/v1/subscribers/{id}/deliveries", "get", "state").getJsonArray("enum").getList())
        .containsExactlyInAnyOrderElementsOf(bothCases(StateCounts.DELIVERY_STATES));
  }

  @Test
  void event_types_are_the_codes_with_and_without_their_cloudevents_prefix() {
    JsonArray named = doc.getJsonObject("components").getJsonObject("schemas").getJsonObject("SubscriberDraft")
        .getJsonObject("properties").getJsonObject("eventTypes").getJsonObject("items").getJsonArray("enum");
    List<String> expected = new ArrayList<>(Subscribers.EVENT_TYPES);
    Subscribers.EVENT_TYPES.forEach(t -> expected.add(CloudEvents.TYPE_PREFIX + t));
    assertThat(named.getList()).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void the_participant_key_pattern_takes_what_participant_key_takes() {
    Pattern filter = Pattern.compile(parameter("Participant").getString("pattern"));
    Pattern item = Pattern.compile(doc.getJsonObject("components").getJsonObject("schemas")
        .getJsonObject("SubscriberDraft").getJsonObject("properties").getJsonObject("participants")
        .getJsonObject("items").getString("pattern"));
    for (String key : List.of("SC_A", "sc-b_1", "A".repeat(32), "A".repeat(33), "no key", "é", "a/b", "a.b")) {
      assertThat(filter.matcher(key).find()).as(key).isEqualTo(ParticipantKey.isValid(key));
      assertThat(item.matcher(key).find()).as(key).isEqualTo(ParticipantKey.isValid(key));
    }
    // An empty filter is no filter.
    assertThat(filter.matcher("").find()).isTrue();
  }

  @Test
  void the_mrid_search_bound_is_the_codes() {
    // The handler checks it (its answer says what q is); the document says it.
    JsonObject q = operation("/api/v1/outages", "get").getJsonArray("parameters").stream().map(o -> (JsonObject) o)
        .filter(p -> "q".equals(p.getString("name"))).findFirst().orElseThrow();
    assertThat(q.getString("description")).contains("at most " + ReadParameters.MRID_MAX + " characters");
  }
}
