package flashsale.region;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Gives each test a fresh {@link RegionFixture} in {@link #f}; subclasses may pick its config. */
abstract class RegionFixtureTest {
  protected RegionFixture f;

  protected RegionFixture newFixture() throws Exception {
    return new RegionFixture();
  }

  @BeforeEach
  final void startFixture() throws Exception {
    f = newFixture();
  }

  @AfterEach
  final void stopFixture() throws Exception {
    f.close();
  }
}
